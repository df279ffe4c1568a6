using System.Net;
using System.Text;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Blog.Tests.Fixtures;
using StackExchange.Redis;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.PostService;

/// <summary>
/// Invalid and inactive tokens are remembered in process only: junk sent by anyone must not grow Redis, and nothing
/// in Redis may name a token the post service refused (by its hash or the hash's 16-character id).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class InvalidTokensOutOfRedisTests(BlogAppFixture fixture)
{
    private static readonly string EntryPrefix = new TokenValidationOptions().CacheKeyPrefix;
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task No_redis_key_or_value_names_a_junk_or_revoked_token_sent_to_both_replicas()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);

        // Junk of several shapes, and real tokens revoked before the post service saw them: one by the revocation
        // endpoint, one by logging out everywhere (a revocation of the subject).
        var junk = new[]
        {
            $"junk-{Guid.NewGuid():N}",
            string.Join('.', Enumerable.Range(0, 5).Select(_ => Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_'))),
        };
        var (_, revokedByEndpoint) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        await _identity.RevokeAsync(revokedByEndpoint, timeout.Token);
        var (loggedOut, revokedBySubject) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var account = await _identity.GetAccountTokenAsync(loggedOut, timeout.Token);
        using (var logout = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/logout-all", account), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        string[] refused = [.. junk, revokedByEndpoint, revokedBySubject];
        foreach (var replica in replicas)
        {
            foreach (var token in refused)
            {
                // Twice: the second answer comes from the in-process negative cache.
                Assert.Equal(HttpStatusCode.Unauthorized, await GetMineAsync(replica, token, timeout.Token));
                Assert.Equal(HttpStatusCode.Unauthorized, await GetMineAsync(replica, token, timeout.Token));
            }
        }

        // Redis writes are fire-and-forget, in order per replica: once a valid token each replica introspected after
        // the refused ones is stored, anything either replica wrote for the refused tokens is in Redis too.
        var redis = await ConnectionString();
        foreach (var replica in replicas)
        {
            var (_, barrier) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, barrier, timeout.Token));
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            await FaultInjection.WaitUntilAsync(() => connection.GetDatabase().KeyExistsAsync(EntryPrefix + TokenHash.Compute(barrier).Hex),
                $"{replica.BaseAddress} stored its valid token in Redis", timeout.Token);
        }

        var contents = await RedisContents.ReadAllAsync(redis);
        // The user service's marker for a token revoked by the endpoint is named by its hash by design (see
        // RevocationContract): it holds the revocation time, no introspection result.
        var revocationMarker = RevocationContract.RevokedTokenKey(TokenHash.Compute(revokedByEndpoint).Hex);
        var found = new List<string>();
        foreach (var token in refused)
        {
            var tokenId = TokenHash.Compute(token).TokenId;
            var idBytes = Encoding.ASCII.GetBytes(tokenId);
            foreach (var entry in contents)
            {
                if (entry.Key != revocationMarker && entry.Key.Contains(tokenId, StringComparison.OrdinalIgnoreCase))
                {
                    found.Add($"key {entry.Key} names token {tokenId}");
                }

                if (entry.Values.Any(value => value.AsSpan().IndexOf(idBytes) >= 0))
                {
                    found.Add($"a value of key {entry.Key} names token {tokenId}");
                }
            }
        }

        Assert.Contains(contents, entry => entry.Key.StartsWith(EntryPrefix, StringComparison.Ordinal)); // not vacuous
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private async Task<string> ConnectionString()
        => await fixture.App.GetConnectionStringAsync(BlogResources.Redis) ?? throw new InvalidOperationException("no redis connection string");

}
