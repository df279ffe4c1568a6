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
public sealed class LookupCachedIntrospection(IntrospectionCache cache) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
        = IntrospectionCacheHandlers.Describe<LookupCachedIntrospection>(OpenIddictValidationHandlers.EvaluateIntrospectionRequest.Descriptor.Order + 500);

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (string.IsNullOrEmpty(context.AccessToken))
        {
            return;
        }

        // The front handler has already refused the tokens known to be invalid; here only a usable entry matters.
        var lookup = await cache.LookupAsync(context.AccessToken, includeRejected: false, context.CancellationToken);
        if (lookup.Entry is { } entry)
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
public sealed class StoreIntrospectionResult(IntrospectionCache cache) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
        = IntrospectionCacheHandlers.Describe<StoreIntrospectionResult>(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order + 1_000);

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (!string.IsNullOrEmpty(context.AccessToken) && context.AccessTokenPrincipal is { } principal)
        {
            cache.StoreValidated(context.AccessToken, principal);
        }

        return default;
    }
}

internal static class IntrospectionCacheHandlers
{
    /// <summary>A custom authentication handler that runs only where OpenIddict introspects (or would).</summary>
    public static OpenIddictValidationHandlerDescriptor Describe<THandler>(int order)
        where THandler : class, IOpenIddictValidationHandler<ProcessAuthenticationContext>
        => OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<RequireIntrospectionRequest>()
            .UseSingletonHandler<THandler>()
            .SetOrder(order)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();
}
