using OpenIddict.Abstractions;

namespace Blog.UserService.Authorization;

/// <summary>
/// Revokes everything issued to a user: access and refresh tokens alike (they introspect inactive at once), and
/// tells the resource servers' caches (every token of the subject issued until now).
/// </summary>
public sealed partial class TokenRevocation(IOpenIddictTokenManager tokens, RevocationPublisher publisher, ILogger<TokenRevocation> logger)
{
    public async Task RevokeAllAsync(string userId, string reason, CancellationToken cancellationToken)
    {
        var revoked = await tokens.RevokeBySubjectAsync(userId, cancellationToken);
        LogRevoked(revoked, userId, reason);
        await publisher.PublishSubjectRevokedAsync(userId);
    }

    [LoggerMessage(LogLevel.Information, "Revoked {Count} tokens of user {UserId}: {Reason}")]
    private partial void LogRevoked(long count, string userId, string reason);
}
