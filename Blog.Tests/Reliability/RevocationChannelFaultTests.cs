using System.Diagnostics;
using System.Net;
using Blog.PostService.Authentication;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Blog.TestKit.PostServiceReplicas;

namespace Blog.Tests.Reliability;

/// <summary>
/// Redis hung (its process stopped with SIGSTOP: every connection stays open, nothing answers) and Redis crashed
/// (stopped: every connection breaks), in an application of their own. Either way a token revoked during the fault is
/// refused by both replicas within the degraded bound after the revocation, while Redis is still away; a cached token
/// keeps being served, introspected at most once per bound by each replica; and the revocation call answers within
/// its bound.
/// </summary>
[Collection(RedisFaultCollection.Name)]
public sealed class RevocationChannelFaultTests(RedisFaultFixture fixture, ITestOutputHelper output)
{
    private static readonly TokenValidationOptions Defaults = new();

    /// <summary>The promise, measured by when the first refused request was sent: the degraded bound, plus a poll and a busy machine.</summary>
    private static readonly TimeSpan LogDeliveryBound = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan RefusalBound = Defaults.DegradedStalenessBound + TimeSpan.FromSeconds(1.5);

    /// <summary>The publication's own bound (1 s), the database writes, a rate limit's bounded Redis call.</summary>
    private static readonly TimeSpan RevocationCallBound = TimeSpan.FromSeconds(4);

    /// <summary>How long the cached token is followed during the fault: three bounds.</summary>
    private static readonly TimeSpan Window = 3 * Defaults.DegradedStalenessBound;

    private readonly IdentityClient _identity = new(fixture);

    public enum Fault
    {
        Hang,
        Crash,
    }

    [Theory]
    [InlineData(Fault.Hang)]
    [InlineData(Fault.Crash)]
    public async Task A_token_revoked_during_the_fault_is_refused_within_the_bound_and_cached_tokens_keep_being_served(Fault fault)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = timeout.Token;
        var replicas = await fixture.CreateReplicaClientsAsync(BlogResources.PostService);
        Assert.Equal(2, replicas.Count);
        var instances = await fixture.GetInstanceIdsAsync(BlogResources.PostService);
        var logs = instances.Select(id => ResourceLogWatcher.StartForInstance(fixture, id, line => line.Contains(PostServiceLogs.IntrospectionText, StringComparison.Ordinal))).ToList();
        try
        {
            var author = await _identity.RegisterAsync(ct);
            var cached = await _identity.GetAccessTokenAsync(author, ct);
            var revoked = await _identity.GetAccessTokenAsync(author, ct);
            await WarmAsync(replicas, [cached, revoked], ct);
            // Each replica's log is ordered: once a fresh marker token's introspection shows, the warm-up's have.
            for (var index = 0; index < replicas.Count; index++)
            {
                var marker = await _identity.GetAccessTokenAsync(author, ct);
                Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replicas[index], marker, ct));
                // Bounded generously: at the end of a loaded suite the orchestrator once delivered an instance's lines
                // 35 s after they were written (the line was there, late), and this wait only orders, it times nothing.
                await logs[index].WaitForAsync(PostServiceLogs.IntrospectionLine(marker), 1, LogDeliveryBound);
            }

            var cachedBefore = logs.Select(log => log.Count(PostServiceLogs.IntrospectionLine(cached))).ToList();
            await using var stream = RequestStream.Start(replicas, _ => IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", cached), BlogApplication.DefaultTimeout);

            var restore = await InjectAsync(fault, ct);
            var faultStarted = stream.Now;
            TimeSpan revocationCall;
            TimeSpan[] refusedAfter;
            IReadOnlyList<StreamOutcome> outcomes;
            List<int> introspections;
            try
            {
                // At once, while the replicas may still count the channel alive: the hardest moment for a hang.
                var call = Stopwatch.StartNew();
                await _identity.RevokeAsync(revoked, ct);
                revocationCall = call.Elapsed;
                var revokedAt = stream.Now;
                // Each replica polled on its own; what counts is when the first refused request was sent (with Redis
                // hung, a request that re-introspects waits for its bounded Redis reads before it is refused).
                refusedAfter = await Task.WhenAll(replicas.Select(async replica =>
                {
                    while (true)
                    {
                        var sent = stream.Now;
                        // Polled a little past the bound, so that a late refusal is measured rather than waited for.
                        if (await GetMineAsync(replica, revoked, ct) != HttpStatusCode.OK || sent - revokedAt > RefusalBound + TimeSpan.FromSeconds(5))
                        {
                            return sent - revokedAt;
                        }

                        await Task.Delay(100, ct);
                    }
                }));

                // The cached token is followed for the whole window, the fault still on; then the stream stops, so
                // that the introspections counted are the fault's (each replica's log settles within a second).
                while (stream.Now < faultStarted + Window)
                {
                    await Task.Delay(100, ct);
                }

                outcomes = await stream.StopAsync();
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                introspections = [.. logs.Select((log, index) => log.Count(PostServiceLogs.IntrospectionLine(cached)) - cachedBefore[index])];
            }
            finally
            {
                await restore();
            }

            var during = outcomes.Where(outcome => outcome.StartedAt >= faultStarted).ToList();
            output.WriteLine($"Redis {fault}: revocation call {revocationCall.TotalMilliseconds:F0} ms; refused {string.Join(", ", refusedAfter.Select(after => $"{after.TotalSeconds:F1} s"))} after it; "
                + $"{during.Count} cached-token reads during {(outcomes[^1].FinishedAt - faultStarted).TotalSeconds:F0} s of fault: "
                + string.Join(", ", during.GroupBy(outcome => outcome.Status?.ToString() ?? outcome.Failure).Select(group => $"{group.Key} x{group.Count()}"))
                + $"; introspections of the cached token per replica: {string.Join(", ", introspections)}");

            Assert.True(revocationCall < RevocationCallBound, $"the revocation call took {revocationCall.TotalMilliseconds:F0} ms with Redis {fault}");
            for (var index = 0; index < replicas.Count; index++)
            {
                Assert.True(refusedAfter[index] < RefusalBound,
                    $"{replicas[index].BaseAddress} still accepted the token revoked during the fault {refusedAfter[index].TotalSeconds:F1} s after the revocation (bound {RefusalBound.TotalSeconds:F1} s), Redis {fault}");
            }

            Assert.All(during, outcome => Assert.True(outcome.Status == 200, outcome.ToString()));
            // Served from the cache, not introspected at each request: at most one introspection per bound and replica
            // (the window spans three bounds; one more for the bound already running when the fault began).
            var allowed = (int)Math.Ceiling(Window / Defaults.DegradedStalenessBound) + 1;
            foreach (var (count, index) in introspections.Select((count, index) => (count, index)))
            {
                Assert.True(count <= allowed, $"{replicas[index].BaseAddress} introspected the cached token {count} times in {Window.TotalSeconds:F0} s of Redis {fault} (at most {allowed})");
            }

            Assert.True(during.Count(outcome => outcome.Status == 200) > 4 * allowed * replicas.Count, $"too few reads during the fault to tell ({during.Count})");
        }
        finally
        {
            foreach (var log in logs)
            {
                await log.DisposeAsync();
            }
        }
    }

    /// <summary>Puts Redis in the fault and returns what ends it, waiting until the application is whole again.</summary>
    private async Task<Func<Task>> InjectAsync(Fault fault, CancellationToken cancellationToken)
    {
        if (fault == Fault.Hang)
        {
            var pid = await RedisProcessIdAsync(cancellationToken);
            Signal("STOP", pid);
            return async () =>
            {
                Signal("CONT", pid);
                await WaitWholeAsync();
            };
        }

        var instance = Assert.Single(await fixture.GetInstanceIdsAsync(BlogResources.Redis));
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var stopped = await commands.ExecuteCommandAsync(instance, KnownResourceCommands.StopCommand, cancellationToken);
        Assert.True(stopped.Success, stopped.Message);
        return async () =>
        {
            using var restart = new CancellationTokenSource(FaultInjection.CommandTimeout);
            var started = await commands.ExecuteCommandAsync(instance, KnownResourceCommands.StartCommand, restart.Token);
            Assert.True(started.Success, started.Message);
            await WaitWholeAsync();
        };
    }

    /// <summary>Redis's own process id, as the server reports it (the process that answers, not a launcher).</summary>
    private async Task<int> RedisProcessIdAsync(CancellationToken cancellationToken)
    {
        var connectionString = await fixture.App.GetConnectionStringAsync(BlogResources.Redis, cancellationToken) ?? throw new InvalidOperationException("no redis connection string");
        var options = ConfigurationOptions.Parse(connectionString);
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var info = await redis.GetServers().Single().InfoAsync("server");
        return int.Parse(info.SelectMany(group => group).Single(pair => pair.Key == "process_id").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardError = true })!;
        Assert.True(kill.WaitForExit(TimeSpan.FromSeconds(10)), $"kill -{signal} {pid} did not finish");
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid}: {kill.StandardError.ReadToEnd()}");
    }

    /// <summary>Every resource healthy again and both replicas serving a new token.</summary>
    private async Task WaitWholeAsync()
    {
        using var timeout = new CancellationTokenSource(FaultInjection.CommandTimeout);
        foreach (var name in BlogResources.All)
        {
            await fixture.WaitHealthyAsync(name, timeout.Token);
        }

        var author = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccessTokenAsync(author, timeout.Token);
        foreach (var replica in await fixture.CreateReplicaClientsAsync(BlogResources.PostService))
        {
            using (replica)
            {
                await FaultInjection.WaitUntilAsync(async () => await GetMineAsync(replica, token, timeout.Token) == HttpStatusCode.OK,
                    $"{replica.BaseAddress} serves a new token after the fault", timeout.Token);
            }
        }
    }
}
