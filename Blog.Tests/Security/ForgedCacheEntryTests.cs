using System.Net;
using System.Text;
using Blog.PostService.Authentication;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Blog.UnitTests.PostService;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.Security;

/// <summary>
/// Whoever can write to Redis can deny a token but never grant one: an entry the post service did not write itself
/// (a hand-made one, or one of its own edited in place) is refused and the token introspected afresh.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ForgedCacheEntryTests(BlogAppFixture fixture) : IAsyncLifetime
{
    private static readonly string EntryPrefix = new TokenValidationOptions().CacheKeyPrefix;
    // Claims are stored as short arrays, [type, value, ...]: the role claim's value ends its array.
    private static readonly byte[] AuthorRole = Encoding.UTF8.GetBytes("\"author\"]");
    private static readonly byte[] AdminRole = Encoding.UTF8.GetBytes("\"admin\"]");
    private readonly IdentityClient _identity = new(fixture);
    private ConnectionMultiplexer? _redis;

    private IDatabase Redis => (_redis ?? throw new InvalidOperationException("Not initialized.")).GetDatabase();

    public async Task InitializeAsync()
        => _redis = await fixture.ConnectRedisAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_hand_made_entry_with_the_claims_of_an_admin_under_the_right_key_is_refused()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        // What a real entry looks like, made an admin's and put under the key of a token the user service never issued.
        var template = await StoredEntryOfANewAuthorAsync(replicas[0], timeout.Token);
        // Five base64url segments, as the user service's tokens (JWE) have: past the shape check, into the cache lookup.
        var forgedToken = string.Join('.', Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString("N")));
        await Redis.StringSetAsync(TokenHash.Compute(forgedToken).ToCacheKey(EntryPrefix), MakeAdmin(template), TimeSpan.FromMinutes(5));

        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetMineAsync(replica, forgedToken, timeout.Token));
        }
    }

    [Fact]
    public async Task A_stored_entry_whose_role_was_edited_in_Redis_is_introspected_afresh_and_grants_nothing_more()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        Assert.True(replicas.Count >= 2, "the edited entry must be read by a replica that has not got it in process");
        var (_, otherAuthor) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var victim = await PostServiceTestContext.CreatePostAsync(replicas[1], otherAuthor, timeout.Token);

        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var key = TokenHash.Compute(token).ToCacheKey(EntryPrefix);
        var stored = await StoreThroughAsync(replicas[0], token, timeout.Token);
        var ttl = await Redis.KeyTimeToLiveAsync(key) ?? TimeSpan.FromMinutes(1);
        await Redis.StringSetAsync(key, MakeAdmin(stored), ttl);

        // The other replica reads the edited entry from Redis: as written, it would let this author delete anyone's post.
        using var delete = await replicas[1].SendAsync(
            IdentityClient.Authorized(HttpMethod.Delete, $"/api/posts/{victim.GetProperty("id").GetString()}?version={victim.GetProperty("version").GetUInt32()}", token), timeout.Token);
        // Another author's draft is not even visible to an author (404); 403 would do as well, the deletion would not.
        Assert.Contains(delete.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Forbidden });
        // Introspected afresh, the token is still the author's it was.
        Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replicas[1], token, timeout.Token));
    }

    [Fact]
    public async Task The_in_process_level_never_copies_an_entry_that_failed_its_check()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var prefix = $"blog:test:{Guid.NewGuid():N}:";
        using var parts = new TokenCacheUnderTest(_redis!, TokenCacheUnderTest.Settings(cacheKeyPrefix: prefix),
            services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var hash = TokenHash.Compute($"forged-{Guid.NewGuid():N}");
        var forged = Blog.UnitTests.Revocation.CacheEntries.Entry("someone", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow);
        await Redis.StringSetAsync(hash.ToCacheKey(prefix), forged.Serialize(), TimeSpan.FromMinutes(1));
        try
        {
            Assert.Null(await parts.Cache.GetDistributedAsync(hash, timeout.Token));
            Assert.False(parts.Cache.TryGetLocal(hash, out _));
        }
        finally
        {
            await Redis.KeyDeleteAsync(hash.ToCacheKey(prefix));
        }
    }

    /// <summary>A new author's token accepted by <paramref name="replica"/>, and its entry as the replica wrote it to Redis.</summary>
    private async Task<byte[]> StoredEntryOfANewAuthorAsync(HttpClient replica, CancellationToken cancellationToken)
    {
        var (_, token) = await PostServiceTestContext.NewAuthorAsync(_identity, cancellationToken);
        return await StoreThroughAsync(replica, token, cancellationToken);
    }

    private async Task<byte[]> StoreThroughAsync(HttpClient replica, string token, CancellationToken cancellationToken)
    {
        Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, cancellationToken));
        var key = TokenHash.Compute(token).ToCacheKey(EntryPrefix);
        await FaultInjection.WaitUntilAsync(() => Redis.KeyExistsAsync(key), "the replica stored the entry in Redis", cancellationToken);
        return (byte[])(await Redis.StringGetAsync(key))!;
    }

    /// <summary>The entry with its role claim turned from author into admin, byte for byte otherwise.</summary>
    private static byte[] MakeAdmin(byte[] entry)
    {
        var at = entry.AsSpan().IndexOf(AuthorRole);
        Assert.True(at >= 0, "the stored entry holds the author's role claim");
        return [.. entry.AsSpan(0, at), .. AdminRole, .. entry.AsSpan(at + AuthorRole.Length)];
    }
}
