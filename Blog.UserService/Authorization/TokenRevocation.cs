using OpenIddict.Abstractions;

namespace Blog.UserService.Authorization;

/// <summary>
/// Revokes everything issued to a user, or everything of one login: access and refresh tokens alike (they introspect
/// inactive at once), and tells the resource servers' caches. The database is written first, then the caches are told.
/// </summary>
public sealed partial class TokenRevocation(
    IOpenIddictTokenManager tokens,
    IOpenIddictAuthorizationManager authorizations,
    RevocationPublisher publisher,
    ILogger<TokenRevocation> logger)
{
    public async Task RevokeAllAsync(string userId, string reason, CancellationToken cancellationToken)
    {
        var revoked = await tokens.RevokeBySubjectAsync(userId, cancellationToken);
        LogRevoked(revoked, userId, reason);
        await publisher.PublishSubjectRevokedAsync(userId);
    }

    /// <summary>
    /// Ends one login (an OpenIddict authorization: the password grant and every refresh after it): the authorization,
    /// so no token of it is accepted or refreshed again, and each of its tokens; then every cache drops its access tokens.
    /// </summary>
    public async Task RevokeAuthorizationAsync(string authorizationId, string reason, CancellationToken cancellationToken)
    {
        if (await authorizations.FindByIdAsync(authorizationId, cancellationToken) is { } authorization
            && !await authorizations.TryRevokeAsync(authorization, cancellationToken))
        {
            // A concurrent revocation of the same login won the write; its tokens are revoked below all the same.
            LogAuthorizationNotRevoked(authorizationId);
        }

        var revoked = await tokens.RevokeByAuthorizationIdAsync(authorizationId, cancellationToken);
        LogRevokedAuthorization(revoked, authorizationId, reason);
        await publisher.PublishAuthorizationRevokedAsync(authorizationId);
    }

    [LoggerMessage(LogLevel.Information, "Revoked {Count} tokens of user {UserId}: {Reason}")]
    private partial void LogRevoked(long count, string userId, string reason);

    [LoggerMessage(LogLevel.Information, "Revoked authorization {AuthorizationId} and {Count} of its tokens: {Reason}")]
    private partial void LogRevokedAuthorization(long count, string authorizationId, string reason);

    [LoggerMessage(LogLevel.Warning, "Authorization {AuthorizationId} could not be marked revoked (concurrent update); its tokens are revoked")]
    private partial void LogAuthorizationNotRevoked(string authorizationId);
}
