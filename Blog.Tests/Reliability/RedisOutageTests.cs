using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Xunit.Abstractions;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.Reliability;

/// <summary>
/// Redis (both cache levels' shared level and the revocation channel) stopped and started again under a steady stream of
/// reads through both post service replicas: not one request fails, tokens are checked by introspection meanwhile, and
/// the cache works again by itself once Redis is back.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RedisOutageTests(BlogAppFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(10);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Redis_stopped_under_a_steady_stream_of_reads_fails_no_request_and_the_cache_comes_back_by_itself()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceName);
        Assert.Equal(2, replicas.Count);
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);
        var (author, first) = await NewAuthorAsync(_identity, ct);
        var second = await _identity.GetAccessTokenAsync(author, ct);
        var (_, other) = await NewAuthorAsync(_identity, ct);
        string[] tokens = [first, second, other];
        int Introspections() => tokens.Sum(token => logs.Count(IntrospectionLine(token)));

        // Every fourth request is anonymous (the public list); the others carry one of the tokens, to one replica or the other.
        await using var stream = RequestStream.Start(replicas,
            sequence => sequence % 4 == 0
                ? new HttpRequestMessage(HttpMethod.Get, "/api/posts")
                : IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", tokens[sequence % tokens.Length]),
            RequestBound);
        await stream.WaitForAsync(outcomes => AnsweredByEachSince(outcomes, TimeSpan.Zero, 10), "reads before the outage", BlogAppFixture.DefaultTimeout);
        var introspectionsBefore = Introspections();

        string? redis = null;
        TimeSpan stopped;
        try
        {
            redis = await fixture.StopAsync(BlogResources.Redis);
            stopped = stream.Now;
            // Without Redis the tokens are introspected again once the degraded bound has passed: the shared level is
            // gone, and revocation events could be missed meanwhile.
            using var fallback = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
            await FaultInjection.WaitUntilAsync(() => Task.FromResult(Introspections() >= introspectionsBefore + 2 * tokens.Length),
                "the stream's tokens are introspected again", fallback.Token);
            await stream.WaitForAsync(outcomes => AnsweredByEachSince(outcomes, stopped, 10), "reads during the outage", BlogAppFixture.DefaultTimeout);
        }
        finally
        {
            if (redis is not null)
            {
                // Waits until every instance's own /health says Healthy, its Redis check included: each has reconnected.
                await fixture.RestoreAsync(redis, BlogResources.Redis);
            }
        }

        var restored = stream.Now;
        await stream.WaitForAsync(outcomes => AnsweredByEachSince(outcomes, restored, 10), "reads after the outage", BlogAppFixture.DefaultTimeout);
        var all = await stream.StopAsync();
        output.WriteLine($"outage {(restored - stopped).TotalSeconds:F1} s; {all.Count} reads: "
            + string.Join(", ", all.GroupBy(outcome => outcome.Status?.ToString() ?? outcome.Failure).Select(group => $"{group.Key} x{group.Count()}"))
            + $"; slowest {all.Max(outcome => outcome.Elapsed).TotalMilliseconds:F0} ms; introspections of the stream's tokens: {Introspections() - introspectionsBefore}");
        Assert.All(all, outcome => Assert.True(outcome.Status == 200, outcome.ToString()));

        // The cache is back by itself: a new token is introspected once, then served from Redis by the other replica
        // and from memory by the first.
        var fresh = await _identity.GetAccessTokenAsync(author, ct);
        await AssertMineAsync(replicas[0], fresh, ct);
        await logs.WaitForAsync(IntrospectionLine(fresh), 1, BlogAppFixture.DefaultTimeout);
        await AssertMineAsync(replicas[1], fresh, ct);
        await AssertMineAsync(replicas[0], fresh, ct);
        // Each replica's log is ordered: once a later marker's introspection shows, a second one of the fresh token would have.
        foreach (var replica in replicas)
        {
            var marker = await _identity.GetAccessTokenAsync(author, ct);
            await AssertMineAsync(replica, marker, ct);
            await logs.WaitForAsync(IntrospectionLine(marker), 1, BlogAppFixture.DefaultTimeout);
        }

        Assert.Equal(1, logs.Count(IntrospectionLine(fresh)));

        bool AnsweredByEachSince(IReadOnlyList<StreamOutcome> outcomes, TimeSpan since, int count)
            => replicas.All(replica => outcomes.Count(outcome => outcome.Replica == replica.BaseAddress && outcome.StartedAt > since) >= count);
    }

    private static async Task AssertMineAsync(HttpClient replica, string token, CancellationToken cancellationToken)
    {
        using var response = await replica.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token), cancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
