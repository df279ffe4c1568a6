using System.Net;
using Blog.Tests.Fixtures;
using Blog.Tests.Security;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.PostService;

/// <summary>
/// A cached introspection result is never used past the token's exp: a token of a few seconds (re-issued by the test
/// with the AppHost's keys, its database record moved to match) is served from the caches while it lives and refused
/// by both replicas right after its exp, although the caches' own lifetime (5 minutes) has not passed.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ShortLivedTokenTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(12);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_short_lived_token_is_served_from_the_cache_and_refused_by_both_replicas_right_after_its_exp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceTestContext.PostServiceName);
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceTestContext.PostServiceName);
        var (user, original) = await PostServiceTestContext.NewAuthorAsync(_identity, timeout.Token);
        var token = await ExpiredTokens.ShortenAsync(fixture, original, DateTimeOffset.UtcNow + Lifetime, timeout.Token);
        var expires = DateTimeOffset.FromUnixTimeSeconds((await ExpiredTokens.ReadPayloadAsync(fixture, token)).GetProperty("exp").GetInt64());

        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, timeout.Token));
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, timeout.Token));
        }

        // Introspected once for both replicas and both requests each: the other answers came from the caches. Each
        // replica then introspects a marker token: once its line is in, a second introspection logged earlier is too.
        foreach (var replica in replicas)
        {
            var marker = await _identity.GetAccessTokenAsync(user, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, marker, timeout.Token));
            await logs.WaitForAsync(PostServiceTestContext.IntrospectionLine(marker), 1, BlogAppFixture.DefaultTimeout);
        }

        Assert.Equal(1, logs.Count(PostServiceTestContext.IntrospectionLine(token)));
        Assert.True(DateTimeOffset.UtcNow < expires, "the machine was too slow: the token expired before its cached phase was over");

        // exp has whole seconds: one second after it, the token has expired by any reading.
        var afterExp = expires + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow;
        await Task.Delay(afterExp > TimeSpan.Zero ? afterExp : TimeSpan.Zero, timeout.Token);
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetMineAsync(replica, token, timeout.Token));
        }
    }

}
