using System.Net;

namespace Blog.UserService.SignIn;

/// <summary>
/// A native app's loopback redirect (RFC 8252 section 7.3): an http URI on an IP literal (127.0.0.1 or [::1]), which
/// OpenIddict matches on any port against the registered one. The pages' Content-Security-Policy needs to know.
/// </summary>
internal static class LoopbackRedirect
{
    /// <summary>The URI without its port when it is an http URI on a loopback IP literal; otherwise null.</summary>
    public static string? WithoutPort(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp
            || parsed.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || !IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var address) || !IPAddress.IsLoopback(address)
            || parsed.UserInfo.Length > 0 || parsed.Fragment.Length > 0)
        {
            return null;
        }

        return new UriBuilder(parsed) { Port = -1 }.Uri.AbsoluteUri;
    }

    /// <summary>The Content-Security-Policy source for a redirect target: its origin, any port for a loopback one.</summary>
    public static string? CspSource(string? uri)
    {
        if (uri is null || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            return null;
        }

        return WithoutPort(uri) is not null
            ? $"{parsed.Scheme}://{parsed.Host}:*"
            : parsed.GetLeftPart(UriPartial.Authority);
    }
}
