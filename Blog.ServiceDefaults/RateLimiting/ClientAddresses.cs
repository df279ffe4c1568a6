using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Blog.ServiceDefaults.RateLimiting;

/// <summary>
/// Which senders may say who the client is (<c>X-Forwarded-For</c>), section <c>ForwardedHeaders</c>. By default nobody:
/// the client is the TCP peer. Only the proxies listed here are believed, never "everyone".
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Addresses of reverse proxies whose <c>X-Forwarded-For</c> is believed, e.g. <c>10.0.0.5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR notation, e.g. <c>10.0.0.0/24</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many trusted proxies in a row may be walked back through the header.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;
}

public sealed class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var problems = new List<string>();
        problems.AddRange(options.KnownProxies.Where(proxy => !IPAddress.TryParse(proxy, out _))
            .Select(proxy => $"{ForwardedHeadersSettings.SectionName}:KnownProxies: '{proxy}' is not an IP address."));
        foreach (var network in options.KnownNetworks)
        {
            if (!IPNetwork.TryParse(network, out var parsed))
            {
                problems.Add($"{ForwardedHeadersSettings.SectionName}:KnownNetworks: '{network}' is not a network in CIDR notation.");
            }
            else if (parsed.PrefixLength == 0)
            {
                problems.Add($"{ForwardedHeadersSettings.SectionName}:KnownNetworks: '{network}' would trust every sender.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public static class ClientAddresses
{
    /// <summary>
    /// Forwarded headers believed only from the configured proxies. ASP.NET Core's own default trusts loopback: cleared,
    /// so that a local sender (Aspire's proxy included) cannot choose its partition either.
    /// </summary>
    public static void AddTrustedForwardedHeaders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersSettings>()
            .BindConfiguration(ForwardedHeadersSettings.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersSettingsValidator>();
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<ForwardedHeadersSettings>>((forwarded, settings) =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                forwarded.ForwardLimit = settings.Value.ForwardLimit;
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var proxy in settings.Value.KnownProxies)
                {
                    forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
                }

                foreach (var network in settings.Value.KnownNetworks)
                {
                    forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network));
                }
            });
    }

    /// <summary>The client address from a trusted proxy's header; first in the pipeline, before anything reads it.</summary>
    public static IApplicationBuilder UseTrustedForwardedHeaders(this IApplicationBuilder app) => app.UseForwardedHeaders();

    /// <summary>The rate-limit partition of the request's client (after <see cref="UseTrustedForwardedHeaders"/>).</summary>
    public static string PartitionOf(HttpContext context) => PartitionOf(context.Connection.RemoteIpAddress);

    /// <summary>
    /// An IPv4 address as is; an IPv6 address by its /64 prefix, since one subscriber usually holds a whole /64 and
    /// could otherwise take a new partition per request.
    /// </summary>
    public static string PartitionOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return $"{new IPAddress(bytes)}/64";
    }
}
