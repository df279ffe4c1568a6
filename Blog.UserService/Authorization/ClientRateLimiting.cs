using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.RateLimiting;
using Microsoft.Extensions.Options;

namespace Blog.UserService.Authorization;

/// <summary>Token endpoint requests per client address, section <c>RateLimiting:TokenEndpoint</c>.</summary>
public sealed class TokenEndpointRateLimitOptions : FixedWindowLimit
{
    public const string SectionName = "RateLimiting:TokenEndpoint";

    public TokenEndpointRateLimitOptions()
    {
        PermitLimit = 30;
        Window = TimeSpan.FromMinutes(1);
    }
}

/// <summary>Registrations per client address, section <c>RateLimiting:Registration</c>.</summary>
public sealed class RegistrationRateLimitOptions : FixedWindowLimit
{
    public const string SectionName = "RateLimiting:Registration";

    public RegistrationRateLimitOptions()
    {
        PermitLimit = 10;
        Window = TimeSpan.FromMinutes(10);
    }
}

/// <summary>Which limit an endpoint counts its requests against, per client address.</summary>
public sealed record ClientRateLimit(string Name, Func<IServiceProvider, FixedWindowLimit> Limit);

/// <summary>
/// Per-client limits shared by every replica (counted in Redis by <see cref="SharedRateLimiter"/>). The client is the
/// address <see cref="ClientAddresses"/> resolved: a trusted proxy's <c>X-Forwarded-For</c>, else the TCP peer; IPv6 by /64.
/// The middleware runs before authentication, so requests OpenIddict refuses itself are counted as well.
/// </summary>
public static class ClientRateLimiting
{
    public static void AddClientRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TokenEndpointRateLimitOptions>()
            .BindConfiguration(TokenEndpointRateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RegistrationRateLimitOptions>()
            .BindConfiguration(RegistrationRateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<SharedRateLimiter>();
    }

    public static TBuilder RequireClientRateLimit<TBuilder, TLimit>(this TBuilder endpoint, string name)
        where TBuilder : IEndpointConventionBuilder
        where TLimit : FixedWindowLimit
        => endpoint.WithMetadata(new ClientRateLimit(name, services => services.GetRequiredService<IOptions<TLimit>>().Value));

    public static IApplicationBuilder UseClientRateLimiting(this IApplicationBuilder app)
        => app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ClientRateLimit>() is { } policy)
            {
                var limiter = context.RequestServices.GetRequiredService<SharedRateLimiter>();
                var limit = policy.Limit(context.RequestServices);
                if (await limiter.AcquireAsync($"{policy.Name}:{ClientAddresses.PartitionOf(context)}", limit) is { } retryAfter)
                {
                    await context.WriteRetryLaterAsync(StatusCodes.Status429TooManyRequests, retryAfter, "Too many requests",
                        "Too many requests from this address; retry after the time given in Retry-After.");
                    return;
                }
            }

            await next(context);
        });
}
