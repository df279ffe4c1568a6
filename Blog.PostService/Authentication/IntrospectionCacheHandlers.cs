using OpenIddict.Abstractions;
using OpenIddict.Validation;
using static OpenIddict.Validation.OpenIddictValidationEvents;
using static OpenIddict.Validation.OpenIddictValidationHandlerFilters;

namespace Blog.PostService.Authentication;

/// <summary>
/// Serves an introspection result from the cache inside OpenIddict's pipeline. It must run after
/// EvaluateIntrospectionRequest (which sets SendIntrospectionRequest on every request): on a hit it supplies the
/// principal and switches the introspection off. No built-in check runs after that, so the entry's usability
/// (its end and the token's exp) is checked by the cache itself.
/// </summary>
public sealed class LookupCachedIntrospection(IntrospectionCache cache, Microsoft.Extensions.Options.IOptions<TokenValidationOptions> options)
    : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
        = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<RequireIntrospectionRequest>()
            .UseSingletonHandler<LookupCachedIntrospection>()
            .SetOrder(OpenIddictValidationHandlers.EvaluateIntrospectionRequest.Descriptor.Order + 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        var settings = options.Value;
        if (!settings.CacheEnabled || string.IsNullOrEmpty(context.AccessToken))
        {
            return;
        }

        var hash = TokenHash.Compute(context.AccessToken);
        if (!settings.MemoryCacheEnabled || !cache.TryGetLocal(hash, out var entry))
        {
            entry = await cache.GetDistributedAsync(hash, context.CancellationToken);
        }

        if (entry is not null)
        {
            context.AccessTokenPrincipal = entry.ToPrincipal();
            context.SendIntrospectionRequest = false;
        }
    }
}

/// <summary>
/// Caches a freshly introspected principal. Ordered after ValidateAccessToken and filtered on an introspection
/// having been sent, it only runs once every check passed (active, exp, issuer, usage, audience); an inactive,
/// invalid or failed introspection rejects the request earlier and is never stored here.
/// </summary>
public sealed class StoreIntrospectionResult(IntrospectionCache cache, Microsoft.Extensions.Options.IOptions<TokenValidationOptions> options)
    : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
        = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<RequireIntrospectionRequest>()
            .UseSingletonHandler<StoreIntrospectionResult>()
            .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order + 1_000)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (!options.Value.CacheEnabled || string.IsNullOrEmpty(context.AccessToken) || context.AccessTokenPrincipal is not { } principal)
        {
            return default;
        }

        var now = cache.Now;
        var expiresAt = principal.GetExpirationDate();
        if (IntrospectionCacheLifetime.Compute(now, expiresAt, options.Value.CacheMaxLifetime) is { } lifetime)
        {
            cache.Store(TokenHash.Compute(context.AccessToken), CachedIntrospection.FromPrincipal(principal, expiresAt, now + lifetime));
        }

        return default;
    }
}
