using System.Security.Claims;
using Blog.ServiceDefaults.Revocation;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlerFilters;

namespace Blog.UserService.Authorization;

/// <summary>
/// Puts the login's authorization id into every access token of it as a public claim
/// (<see cref="RevocationContract.AuthorizationClaim"/>), so that introspection returns it to the post service, whose
/// cache can then drop every access token of a revoked login. OpenIddict keeps the id only as a private claim, which
/// access tokens carry but introspection does not return.
/// </summary>
/// <remarks>
/// Runs after OpenIddict attached the authorization (created ad hoc at a login with a refresh token, restored from the
/// refresh token at each refresh) and before it prepares the access token's principal.
/// </remarks>
public sealed class ExposeAuthorizationId : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<ExposeAuthorizationId>()
            .SetOrder(OpenIddictServerHandlers.AttachAuthorization.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity && context.Principal.GetAuthorizationId() is { Length: > 0 } authorizationId)
        {
            foreach (var stale in identity.FindAll(RevocationContract.AuthorizationClaim).ToList())
            {
                identity.RemoveClaim(stale);
            }

            identity.AddClaim(new Claim(RevocationContract.AuthorizationClaim, authorizationId).SetDestinations(Destinations.AccessToken));
        }

        return default;
    }
}

/// <summary>
/// Revoking a refresh token ends its whole login (RFC 7009 section 2.1: the access tokens of the same grant are
/// invalidated too): the authorization and each of its tokens, and every cache is told before the endpoint answers.
/// </summary>
/// <remarks>
/// Runs after OpenIddict's own RevokeToken (which marks the refresh token itself revoked, or rejects the request).
/// Revoking an access token revokes that token only, as before.
/// </remarks>
public sealed class RevokeLoginOfRevokedRefreshToken(TokenRevocation revocation) : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
            .UseScopedHandler<RevokeLoginOfRevokedRefreshToken>()
            .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        if (!context.IsRejected
            && context.GenericTokenPrincipal is { } principal
            && principal.HasTokenType(TokenTypeIdentifiers.RefreshToken)
            && principal.GetAuthorizationId() is { Length: > 0 } authorizationId)
        {
            await revocation.RevokeAuthorizationAsync(authorizationId, "its refresh token was revoked", context.CancellationToken);
        }
    }
}

/// <summary>
/// A refresh token presented again after it was redeemed (RFC 9700 section 4.14.2: one of two parties holds a stolen
/// copy) ends the whole login: the authorization (so it can never be refreshed again) and each of its tokens, and every
/// cache is told, before the token endpoint answers invalid_grant.
/// </summary>
/// <remarks>
/// OpenIddict 7.8 and 7.9 detect the reuse themselves in ValidateTokenEntry and revoke the tokens of the authorization,
/// but neither the authorization nor any cache. This runs just before it, on the same condition (a redeemed refresh
/// token past the reuse leeway, which Blog sets to zero), and leaves the rejection to it; OpenIddict's stopping at the
/// first rejection is why it cannot run after.
/// </remarks>
public sealed partial class RevokeLoginOnRefreshTokenReuse(
    IOpenIddictTokenManager tokens,
    TokenRevocation revocation,
    ILogger<RevokeLoginOnRefreshTokenReuse> logger) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .AddFilter<RequireDegradedModeDisabled>()
            .AddFilter<RequireTokenStorageEnabled>()
            .AddFilter<RequireTokenIdResolved>()
            .UseScopedHandler<RevokeLoginOnRefreshTokenReuse>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateTokenEntry.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        // Refresh tokens are the only tokens Blog issues that are redeemed (no authorization codes, no device codes).
        if (context.Principal is not { } principal || !principal.HasTokenType(TokenTypeIdentifiers.RefreshToken)
            || await tokens.FindByIdAsync(context.TokenId!, context.CancellationToken) is not { } token
            || !await tokens.HasStatusAsync(token, Statuses.Redeemed, context.CancellationToken)
            || await IsWithinReuseLeewayAsync(context, token))
        {
            return;
        }

        var authorizationId = context.AuthorizationId ?? await tokens.GetAuthorizationIdAsync(token, context.CancellationToken);
        if (string.IsNullOrEmpty(authorizationId))
        {
            return;
        }

        LogReuse(context.TokenId!, authorizationId);
        await revocation.RevokeAuthorizationAsync(authorizationId, "a redeemed refresh token was presented again", context.CancellationToken);
    }

    /// <summary>OpenIddict's own rule: without a leeway never; otherwise while the redemption is younger than it.</summary>
    private async ValueTask<bool> IsWithinReuseLeewayAsync(ValidateTokenContext context, object token)
    {
        if (context.Options.RefreshTokenReuseLeeway is not { } leeway)
        {
            return false;
        }

        var redeemedAt = await tokens.GetRedemptionDateAsync(token, context.CancellationToken);
        return redeemedAt is null || context.Options.TimeProvider.GetUtcNow() < redeemedAt + leeway;
    }

    [LoggerMessage(LogLevel.Warning, "Refresh token {TokenId} was presented again after it was redeemed: revoking its authorization {AuthorizationId}")]
    private partial void LogReuse(string tokenId, string authorizationId);
}
