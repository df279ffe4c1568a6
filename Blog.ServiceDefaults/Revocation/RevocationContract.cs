using System.Text.Json;
using System.Text.Json.Serialization;

namespace Blog.ServiceDefaults.Revocation;

/// <summary>
/// How the user service tells every resource server that tokens were revoked: a marker in Redis (so that a cache
/// write racing the event can still see it) and then a message on a Redis pub/sub channel (so that every instance
/// evicts at once). Tokens are named only by their hash (<see cref="RevocationEvent.TokenHash"/>), never raw.
/// </summary>
public static class RevocationContract
{
    public const string Channel = "blog:revocations";

    /// <summary>Present while a revoked token could still be cached somewhere: its value is the revocation time.</summary>
    public static string RevokedTokenKey(string tokenHash) => $"blog:revoked:token:{tokenHash}";

    /// <summary>Every token of the subject issued before this key's value (Unix ms) is revoked.</summary>
    public static string RevokedSubjectKey(string subject) => $"blog:revoked:subject:{subject}";

    /// <summary>Every token of the login (the OpenIddict authorization) is revoked: its value is the revocation time.</summary>
    public static string RevokedAuthorizationKey(string authorizationId) => $"blog:revoked:authorization:{authorizationId}";

    /// <summary>
    /// The access token claim naming the login (the OpenIddict authorization: a password grant and every refresh after
    /// it) the token belongs to, which introspection returns to the resource server so that it can match an
    /// authorization revocation against its cache. <c>sid</c>, as Keycloak and Duende IdentityServer name the session
    /// an access token was issued in.
    /// </summary>
    public const string AuthorizationClaim = "sid";

    public static string Serialize(RevocationEvent revocation) => JsonSerializer.Serialize(revocation, RevocationJsonContext.Default.RevocationEvent);

    public static RevocationEvent? Deserialize(string message) => JsonSerializer.Deserialize(message, RevocationJsonContext.Default.RevocationEvent);
}

/// <summary>
/// The event's serializer, generated at build time (as the post service's cache entries'): no reflection when a
/// process writes or reads its first event, which happens inside a revocation's path.
/// </summary>
[JsonSerializable(typeof(RevocationEvent))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
internal sealed partial class RevocationJsonContext : JsonSerializerContext;

/// <summary>
/// Either one token (<see cref="TokenHash"/>: lowercase hex SHA-256 of the token), everything issued to
/// <see cref="Subject"/> before <see cref="NotBeforeUnixMs"/>, or every token of one login
/// (<see cref="AuthorizationId"/>, the access tokens' <see cref="RevocationContract.AuthorizationClaim"/>).
/// <see cref="PublishedUnixMs"/> measures delivery.
/// </summary>
public sealed record RevocationEvent(string? TokenHash, string? Subject, long NotBeforeUnixMs, long PublishedUnixMs, string? AuthorizationId = null);
