using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Xunit.Abstractions;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.Reliability;

/// <summary>
/// PostgreSQL (the server of both databases) restarted, or stopped for a while, under a stream of post creations through
/// both post service replicas: the services recover without a restart of their own, every write they acknowledged is
/// stored exactly once, and a write they could not do is answered within a bound with 503, Retry-After and ProblemDetails.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostgresRestartTests(BlogAppFixture fixture, ITestOutputHelper output)
{
    /// <summary>No write may wait longer for its answer, even while the database is away (the services give up after ~10 s).</summary>
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(15);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task After_a_PostgreSQL_restart_both_services_recover_by_themselves_and_no_acknowledged_write_is_lost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var (replicas, token) = await WarmAuthorAsync(ct);
        await using var postgresLogs = await ResourceLogWatcher.StartAsync(fixture, BlogResources.Postgres);
        var writes = new WriteStream(replicas, token, "restart");
        await using var stream = writes.Start();
        await stream.WaitForAsync(outcomes => outcomes.Count(outcome => outcome.Status == 201) >= 4, "writes acknowledged before the restart", BlogAppFixture.DefaultTimeout);

        var restartStarted = stream.Now;
        await fixture.RestartAsync(BlogResources.Postgres);

        var restarted = stream.Now;
        // Both replicas acknowledge writes again, without anyone restarting them.
        await stream.WaitForAsync(outcomes => writes.AcknowledgedByEachReplicaSince(outcomes, restarted, 3),
            "writes acknowledged by both replicas after the restart", BlogAppFixture.DefaultTimeout);
        var all = await stream.StopAsync();
        Report($"restart (until all healthy) {(restarted - restartStarted).TotalSeconds:F1} s", all);

        // A restart is ridden out by the retries; should one not be, it must be a 5xx ProblemDetails, never a hang.
        Assert.All(all, outcome =>
        {
            Assert.True(outcome.Failure is null, outcome.ToString());
            Assert.True(outcome.Status == 201 || (outcome.Status >= 500 && outcome.ContentType == "application/problem+json"), outcome.ToString());
        });
        await writes.AssertStoredOnceUnlessRefusedAsync(all, ct);
        await AssertUserServiceWorksAsync(replicas, ct);

        // The server was shut down cleanly (not killed after waiting for the services' pooled connections to leave),
        // so it started without crash recovery.
        Assert.True(postgresLogs.Count("received fast shutdown request") >= 1, "PostgreSQL got no fast shutdown request");
        Assert.Equal(0, postgresLogs.Count("not properly shut down"));
    }

    [Fact]
    public async Task While_PostgreSQL_is_stopped_writes_fail_within_a_bound_with_503_and_all_recovers_when_it_returns()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var (replicas, token) = await WarmAuthorAsync(ct);
        var writes = new WriteStream(replicas, token, "outage");
        await using var stream = writes.Start();
        await stream.WaitForAsync(outcomes => outcomes.Count(outcome => outcome.Status == 201) >= 2, "writes acknowledged before the outage", BlogAppFixture.DefaultTimeout);

        string? postgres = null;
        TimeSpan stopped;
        TokenResponse grantDuringOutage;
        try
        {
            postgres = await fixture.StopAsync(BlogResources.Postgres);
            stopped = stream.Now;
            // The user service too: a token request needs the users database.
            var grant = Task.Run(async () =>
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bound.CancelAfter(RequestBound);
                return await _identity.PasswordGrantAsync(IdentityClient.NewUserName(), "Any-Passw0rd!", bound.Token);
            }, ct);
            await stream.WaitForAsync(
                outcomes => replicas.All(replica => outcomes.Any(outcome => outcome.Replica == replica.BaseAddress && outcome.StartedAt > stopped)),
                "writes answered by both replicas during the outage", RequestBound * 2);
            grantDuringOutage = await grant;
        }
        finally
        {
            if (postgres is not null)
            {
                await fixture.RestoreAsync(postgres, BlogResources.Postgres);
            }
        }

        var restored = stream.Now;
        await stream.WaitForAsync(outcomes => writes.AcknowledgedByEachReplicaSince(outcomes, restored, 2),
            "writes acknowledged by both replicas after the outage", BlogAppFixture.DefaultTimeout);
        var all = await stream.StopAsync();
        Report($"outage {(restored - stopped).TotalSeconds:F1} s; token grant during it: {(int)grantDuringOutage.Status} {grantDuringOutage.Body}", all);

        Assert.Contains(all, outcome => outcome.Status == 503);
        Assert.All(all, outcome =>
        {
            Assert.True(outcome.Failure is null, outcome.ToString());
            Assert.True(outcome.Status == 201 || (outcome.Status == 503 && outcome.HasRetryAfter && outcome.ContentType == "application/problem+json"),
                outcome.ToString());
        });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, grantDuringOutage.Status);
        Assert.Equal(503, grantDuringOutage.Body.GetProperty("status").GetInt32());
        await writes.AssertStoredOnceUnlessRefusedAsync(all, ct);
        await AssertUserServiceWorksAsync(replicas, ct);
    }

    /// <summary>Both replicas' clients and an author whose token both have cached: the writes then need the posts database only.</summary>
    private async Task<(IReadOnlyList<HttpClient> Replicas, string Token)> WarmAuthorAsync(CancellationToken cancellationToken)
    {
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, cancellationToken);
        await PostServiceReplicas.WarmAsync(replicas, [token], cancellationToken);

        return (replicas, token);
    }

    /// <summary>The user service recovered too, by itself: registration, password grant, and an introspection (a new token).</summary>
    private async Task AssertUserServiceWorksAsync(IReadOnlyList<HttpClient> replicas, CancellationToken cancellationToken)
    {
        var (_, fresh) = await NewAuthorAsync(_identity, cancellationToken);
        using var introspected = await replicas[^1].SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", fresh), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, introspected.StatusCode);
    }

    private void Report(string fault, IReadOnlyList<StreamOutcome> all)
    {
        output.WriteLine($"{fault}; {all.Count} writes: "
            + string.Join(", ", all.GroupBy(outcome => outcome.Status?.ToString() ?? outcome.Failure).Select(group => $"{group.Key} x{group.Count()}"))
            + $"; slowest answer {all.Max(outcome => outcome.Elapsed).TotalMilliseconds:F0} ms");
        foreach (var outcome in all.Where(outcome => outcome.Status != 201))
        {
            output.WriteLine(outcome.ToString());
        }
    }

    /// <summary>Post creations, each with a title of its own, so that what was stored can be told apart afterwards.</summary>
    private sealed class WriteStream(IReadOnlyList<HttpClient> replicas, string token, string fault)
    {
        private readonly string _run = $"pg-{fault}-{Guid.NewGuid():N}"[..20];

        public RequestStream Start() => RequestStream.Start(replicas,
            sequence => IdentityClient.Authorized(HttpMethod.Post, "/api/posts", token,
                new { title = Title(sequence), body = "Written around a database fault.", tags = new[] { "reliability" } }),
            RequestBound);

        public bool AcknowledgedByEachReplicaSince(IReadOnlyList<StreamOutcome> outcomes, TimeSpan since, int count)
            => replicas.All(replica => outcomes.Count(outcome => outcome.Replica == replica.BaseAddress && outcome.StartedAt > since && outcome.Status == 201) >= count);

        /// <summary>Every acknowledged write is readable and stored once; a refused one is stored at most once (never twice).</summary>
        public async Task AssertStoredOnceUnlessRefusedAsync(IReadOnlyList<StreamOutcome> all, CancellationToken cancellationToken)
        {
            var stored = await ReadAllMineAsync(cancellationToken);
            foreach (var outcome in all)
            {
                var copies = stored.Count(post => post.GetProperty("title").GetString() == Title(outcome.Sequence));
                if (outcome.Status != 201)
                {
                    Assert.True(copies <= 1, $"refused write {outcome} is stored {copies} times");
                    continue;
                }

                Assert.True(copies == 1, $"acknowledged write {outcome} is stored {copies} times");
                var id = JsonDocument.Parse(outcome.Body).RootElement.GetProperty("id").GetString();
                using var read = await replicas[0].SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/posts/{id}", token), cancellationToken);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
        }

        private string Title(long sequence) => $"{_run}-{sequence}";

        private async Task<List<JsonElement>> ReadAllMineAsync(CancellationToken cancellationToken)
        {
            var all = new List<JsonElement>();
            for (var page = 1; ; page++)
            {
                using var response = await replicas[0].SendAsync(
                    IdentityClient.Authorized(HttpMethod.Get, $"/api/posts/mine?page={page}&pageSize=50", token), cancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                all.AddRange(body.GetProperty("items").EnumerateArray());
                if (!body.GetProperty("hasMore").GetBoolean())
                {
                    return all;
                }
            }
        }
    }
}
