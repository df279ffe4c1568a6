using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Blog.UserService.Authorization;

/// <summary>
/// After the revocation endpoint (RFC 7009) has revoked a token, tells the resource servers, whose caches would
/// otherwise accept it until their entries expire.
/// </summary>
public sealed class PublishRevokedToken(RevocationPublisher publisher) : IOpenIddictServerHandler<ApplyRevocationResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyRevocationResponseContext>()
            .UseScopedHandler<PublishRevokedToken>()
            // Before the ASP.NET Core host writes the response: the client hears "revoked" only once caches were told.
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ApplyRevocationResponseContext context)
    {
        if (context.Transaction.Response?.Error is null && context.Transaction.Request?.Token is { Length: > 0 } token)
        {
            await publisher.PublishTokenRevokedAsync(token);
        }
    }
}
