using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Blog.UserService.Authorization;

/// <summary>
/// Tells the resource servers, whose caches would otherwise accept the token until their entries expire, that the
/// revocation endpoint (RFC 7009) is revoking it.
/// </summary>
/// <remarks>
/// Runs once OpenIddict has proven the token genuine, active and the caller's, just before it marks the token entry
/// revoked in the database: the caches refuse the token without waiting for that write, so the client hears
/// "revoked" after every replica was told. Should the database write then fail, the caches refuse a token that
/// the client asked to revoke anyway (the safe side).
/// </remarks>
public sealed class PublishRevokedToken(RevocationPublisher publisher) : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
            .UseScopedHandler<PublishRevokedToken>()
            .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        if (!context.IsRejected && context.Request.Token is { Length: > 0 } token)
        {
            await publisher.PublishTokenRevokedAsync(token);
        }
    }
}
