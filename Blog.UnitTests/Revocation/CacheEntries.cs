using System.Security.Claims;
using Blog.PostService.Authentication;

namespace Blog.UnitTests.Revocation;

/// <summary>
/// Cache entries as the post service stores them after an introspection. Also compiled into Blog.Tests (linked), whose
/// revocation tests store them in the application's Redis.
/// </summary>
internal static class CacheEntries
{
    /// <summary>
    /// An entry of <paramref name="subject"/> issued <paramref name="issuedAgo"/> before <paramref name="now"/>, of the
    /// login <paramref name="authorizationId"/> if any.
    /// </summary>
    public static CachedIntrospection Entry(string subject, TimeSpan issuedAgo, DateTimeOffset now, string? authorizationId = null)
    {
        var at = now;
        return new("AuthenticationTypes.Federation", "name", "role", [new CachedClaim("sub", subject, ClaimValueTypes.String, "issuer", "issuer")],
            at.AddMinutes(10), at.AddMinutes(5), subject, at - issuedAgo, authorizationId, at);
    }
}
