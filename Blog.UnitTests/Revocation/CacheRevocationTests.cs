using System.Security.Claims;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Blog.UnitTests.PostService;
using StackExchange.Redis;

namespace Blog.UnitTests.Revocation;

/// <summary>How revocation events act on the in-process level (Redis unreachable here: that level is tested live).</summary>
public sealed class CacheRevocationTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConnectionMultiplexer _deadRedis = ConnectionMultiplexer.Connect(UnreachableRedis.ConnectionString);
    private readonly TokenCacheUnderTest _parts;
    private readonly IntrospectionCache _cache;

    public CacheRevocationTests()
    {
        _parts = new TokenCacheUnderTest(_deadRedis, TokenCacheUnderTest.Settings(), _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _cache = _parts.Cache;
    }

    [Fact]
    public void A_token_event_evicts_that_token_only_and_keeps_it_out()
    {
        var (revoked, other) = (TokenHash.Compute("revoked"), TokenHash.Compute("other"));
        _cache.StoreLocal(revoked, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1)));
        _cache.StoreLocal(other, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1)));

        var evicted = _parts.Ledger.Revoke(new RevocationEvent(revoked.Hex, null, 0, 0));
        _cache.StoreLocal(revoked, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1))); // a request that raced the event

        Assert.Equal(1, evicted);
        Assert.False(_cache.TryGetLocal(revoked, out _));
        Assert.True(_cache.IsKnownInvalid(revoked)); // refused without another introspection
        Assert.True(_cache.TryGetLocal(other, out _));
        Assert.False(_cache.IsKnownInvalid(other));
    }

    [Fact]
    public void A_subject_event_evicts_every_earlier_token_of_the_subject_and_refuses_racing_writes()
    {
        var (first, second, bobs) = (TokenHash.Compute("a1"), TokenHash.Compute("a2"), TokenHash.Compute("b1"));
        _cache.StoreLocal(first, Entry("alice", issuedAgo: TimeSpan.FromMinutes(2)));
        _cache.StoreLocal(second, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1)));
        _cache.StoreLocal(bobs, Entry("bob", issuedAgo: TimeSpan.FromMinutes(1)));

        var evicted = _parts.Ledger.Revoke(new RevocationEvent(null, "alice", Now.ToUnixTimeMilliseconds(), 0));
        _cache.StoreLocal(first, Entry("alice", issuedAgo: TimeSpan.FromMinutes(2))); // introspected just before the revocation

        Assert.Equal(2, evicted);
        Assert.False(_cache.TryGetLocal(first, out _));
        Assert.False(_cache.TryGetLocal(second, out _));
        Assert.True(_cache.TryGetLocal(bobs, out _));
    }

    [Fact]
    public void A_login_event_evicts_every_token_of_that_login_only_and_refuses_racing_writes()
    {
        var (first, refreshed, otherLogin) = (TokenHash.Compute("l1"), TokenHash.Compute("l2"), TokenHash.Compute("o1"));
        _cache.StoreLocal(first, Entry("alice", issuedAgo: TimeSpan.FromMinutes(2), authorizationId: "login-1"));
        _cache.StoreLocal(refreshed, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1), authorizationId: "login-1"));
        _cache.StoreLocal(otherLogin, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1), authorizationId: "login-2"));

        var evicted = _parts.Ledger.Revoke(new RevocationEvent(null, null, 0, 0, "login-1"));
        _cache.StoreLocal(refreshed, Entry("alice", issuedAgo: TimeSpan.FromMinutes(1), authorizationId: "login-1")); // a request that raced the event

        Assert.Equal(2, evicted);
        Assert.False(_cache.TryGetLocal(first, out _));
        Assert.False(_cache.TryGetLocal(refreshed, out _));
        Assert.True(_cache.TryGetLocal(otherLogin, out _));
    }

    [Fact]
    public void A_token_issued_after_a_subject_event_is_cached_again()
    {
        _parts.Ledger.Revoke(new RevocationEvent(null, "alice", Now.AddMinutes(-1).ToUnixTimeMilliseconds(), 0));
        var fresh = TokenHash.Compute("after");

        _cache.StoreLocal(fresh, Entry("alice", issuedAgo: TimeSpan.FromSeconds(10)));

        Assert.True(_cache.TryGetLocal(fresh, out _));
    }

    /// <summary>An entry of <paramref name="subject"/> issued <paramref name="issuedAgo"/> before this class's Now, of the login <paramref name="authorizationId"/> if any.</summary>
    private static CachedIntrospection Entry(string subject, TimeSpan issuedAgo, string? authorizationId = null)
        => CacheEntries.Entry(subject, issuedAgo, Now, authorizationId);

    public void Dispose()
    {
        _parts.Dispose();
        _deadRedis.Dispose();
        _services.Dispose();
    }
}
