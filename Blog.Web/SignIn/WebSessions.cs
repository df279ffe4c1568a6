using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Blog.Web.Extensions;

namespace Blog.Web.SignIn;

/// <summary>
/// The tokens of each signed-in browser, kept in this process (backend for frontend): the browser's cookie names the
/// session, never a token. A session unused for <see cref="BlogWebOptions.SessionIdleTimeout"/> is forgotten, and so
/// is every session at a restart (the person signs in again, which the user service's own cookie makes quick).
/// </summary>
public sealed class WebSessions(IMemoryCache cache, IOptions<BlogWebOptions> options)
{
    public WebSession Start(string refreshToken, string? identityToken)
    {
        var session = new WebSession(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), refreshToken, identityToken);
        cache.Set(Key(session.Id), session, new MemoryCacheEntryOptions { SlidingExpiration = options.Value.SessionIdleTimeout });
        return session;
    }

    public WebSession? Find(string? id) => id is not null && cache.TryGetValue(Key(id), out WebSession? session) ? session : null;

    public void End(string? id)
    {
        if (id is not null)
        {
            cache.Remove(Key(id));
        }
    }

    private static string Key(string id) => "blog-web-session:" + id;
}

/// <summary>One browser's tokens: the refresh token (rolling: replaced at each use) and an access token per resource.</summary>
public sealed class WebSession(string id, string refreshToken, string? identityToken)
{
    public string Id { get; } = id;

    public string RefreshToken { get; set; } = refreshToken;

    /// <summary>Sent back at sign-out (id_token_hint), so the user service knows whose session ends.</summary>
    public string? IdentityToken { get; set; } = identityToken;

    /// <summary>One refresh at a time: the refresh token is spent by each use.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresAt)> AccessTokens { get; } = new(StringComparer.Ordinal);
}
