using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Blog.UnitTests.PostService;
using StackExchange.Redis;
using static Blog.UnitTests.Revocation.CacheEntries;

namespace Blog.Tests.Revocation;

/// <summary>
/// A revocation event that no post service instance heard (every subscription down when it went out) leaves the
/// entry in Redis, but the user service's marker beside it: a Redis hit must still refuse the token. Runs the post
/// service's cache against the application's real Redis, under a key prefix of its own.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class MissedRevocationTests(BlogAppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(10);
    private readonly string _prefix = $"blog:test:{Guid.NewGuid():N}:";
    private readonly List<RedisKey> _keys = [];
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private ConnectionMultiplexer? _redis;
    private TokenCacheUnderTest? _parts;

    private IntrospectionCache Cache => _parts?.Cache ?? throw new InvalidOperationException("Not initialized.");
    private IDatabase Redis => (_redis ?? throw new InvalidOperationException("Not initialized.")).GetDatabase();

    public async Task InitializeAsync()
    {
        _redis = await fixture.ConnectRedisAsync();
        _parts = new TokenCacheUnderTest(
            _redis, TokenCacheUnderTest.Settings(cacheKeyPrefix: _prefix), _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    [Fact]
    public async Task A_token_marked_revoked_is_refused_from_redis_even_though_no_event_evicted_it()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (hash, _) = await StoreInRedisAsync(issuedAgo: TimeSpan.FromMinutes(1), timeout.Token);

        await MarkAsync(RevocationContract.RevokedTokenKey(hash.Hex), DateTimeOffset.UtcNow);

        Assert.Null(await Cache.GetDistributedAsync(hash, timeout.Token));
    }

    [Fact]
    public async Task A_subject_marked_revoked_refuses_its_earlier_tokens_from_redis_and_not_its_later_ones()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (earlier, subject) = await StoreInRedisAsync(issuedAgo: TimeSpan.FromMinutes(2), timeout.Token);
        var (later, _) = await StoreInRedisAsync(issuedAgo: TimeSpan.FromSeconds(10), timeout.Token, subject);

        await MarkAsync(RevocationContract.RevokedSubjectKey(subject), DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.Null(await Cache.GetDistributedAsync(earlier, timeout.Token));
        Assert.NotNull(await Cache.GetDistributedAsync(later, timeout.Token));
    }

    [Fact]
    public async Task A_login_marked_revoked_is_refused_from_redis_and_no_longer_stored_while_another_login_is()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var (revokedLogin, otherLogin) = ($"login-{Guid.NewGuid():N}", $"login-{Guid.NewGuid():N}");
        var (first, subject) = await StoreInRedisAsync(issuedAgo: TimeSpan.FromMinutes(1), timeout.Token, authorizationId: revokedLogin);
        var (other, _) = await StoreInRedisAsync(issuedAgo: TimeSpan.FromMinutes(1), timeout.Token, subject, otherLogin);

        await MarkAsync(RevocationContract.RevokedAuthorizationKey(revokedLogin), DateTimeOffset.UtcNow);

        Assert.Null(await Cache.GetDistributedAsync(first, timeout.Token));
        Assert.NotNull(await Cache.GetDistributedAsync(other, timeout.Token));
        // A token of that login introspected after the mark (a request that raced the revocation) is not written.
        var late = TokenHash.Compute($"token-{Guid.NewGuid():N}");
        _keys.Add(late.ToCacheKey(_prefix));
        Cache.Store(late, Entry(subject, TimeSpan.FromSeconds(5), DateTimeOffset.UtcNow, revokedLogin));
        await StoreAsync(other, Entry(subject, TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow, otherLogin)); // a later script call: the first has run
        Assert.False(await Redis.KeyExistsAsync(late.ToCacheKey(_prefix)));
    }

    /// <summary>Stores an entry the way a validated token is stored (fire-and-forget to Redis) and waits until Redis has it.</summary>
    private async Task<(TokenHash Hash, string Subject)> StoreInRedisAsync(
        TimeSpan issuedAgo, CancellationToken cancellationToken, string? subject = null, string? authorizationId = null)
    {
        subject ??= $"user-{Guid.NewGuid():N}";
        var hash = TokenHash.Compute($"token-{Guid.NewGuid():N}");
        _keys.Add(hash.ToCacheKey(_prefix));
        _keys.Add($"{_prefix}subject:{subject}");
        if (authorizationId is not null)
        {
            _keys.Add($"{_prefix}authorization:{authorizationId}");
        }

        await StoreAsync(hash, Entry(subject, issuedAgo, DateTimeOffset.UtcNow, authorizationId));
        Assert.NotNull(await Cache.GetDistributedAsync(hash, cancellationToken));
        return (hash, subject);
    }

    /// <summary>Stores fire-and-forget, as the cache does, and waits (bounded) until Redis has the entry.</summary>
    private async Task StoreAsync(TokenHash hash, CachedIntrospection entry)
    {
        await Redis.KeyDeleteAsync(hash.ToCacheKey(_prefix));
        Cache.Store(hash, entry);
        using var stored = new CancellationTokenSource(StoreTimeout);
        while (!await Redis.KeyExistsAsync(hash.ToCacheKey(_prefix)))
        {
            await Task.Delay(20, stored.Token);
        }
    }

    /// <summary>What the user service's publisher writes before it publishes: the revocation time in Unix ms.</summary>
    private async Task MarkAsync(string markerKey, DateTimeOffset revokedAt)
    {
        _keys.Add(markerKey);
        await Redis.StringSetAsync(markerKey, revokedAt.ToUnixTimeMilliseconds(), TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.GetDatabase().KeyDeleteAsync([.. _keys]);
            _parts?.Dispose();
            await _redis.DisposeAsync();
        }

        await _services.DisposeAsync();
    }
}
