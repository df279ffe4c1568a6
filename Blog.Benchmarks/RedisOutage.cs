using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Blog.PostService.Authentication;
using Blog.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Benchmarks;

/// <summary>What the "Redis down" phase measured: one token's rate before and during the outage, its introspections, revocations refused in time.</summary>
public sealed record RedisOutageResult(
    WrkResult Normal,
    WrkResult Outage,
    TimeSpan OutageMeasured,
    int Introspections,
    int AllowedIntrospections,
    int Revocations,
    int RefusedWithinBound,
    double SlowestRefusalMs,
    TimeSpan Bound)
{
    public const double GoalRatio = 0.5;

    public double Ratio => Normal.RequestsPerSecond > 0 ? Outage.RequestsPerSecond / Normal.RequestsPerSecond : 0;

    public bool GoalMet => Ratio >= GoalRatio && Introspections <= AllowedIntrospections && RefusedWithinBound == Revocations
        && Normal.Errors == 0 && Outage.Errors == 0;
}

/// <summary>
/// Redis stopped (its resource command: every connection breaks) while one `postservice` instance serves a cached
/// token: the in-process hit rate just before the outage and during it, side by side, the instance's introspections of
/// that token during the outage (at most one per degraded bound), and tokens revoked during the outage, each polled on
/// the instance until it answers 401 (counted when refused within the bound after the revocation's answer). Redis is
/// started again at the end. Runs last: every other measurement needs Redis.
/// </summary>
public static class RedisOutage
{
    public const string Key = "redis-down";
    public const string PolledPath = "/api/ping/me";
    private const int RevokedTokens = 5;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<RedisOutageResult> MeasureAsync(
        BlogUnderTest blog, Func<CancellationToken, Task<string>> newToken, HttpClient userService, int threads, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        var defaults = new TokenValidationOptions();
        var bound = defaults.DegradedStalenessBound;
        var instance = blog.Instances[BlogUnderTest.PostService];
        using var client = new HttpClient { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(30) };
        var token = await newToken(cancellationToken);
        var revoked = new List<string>();
        for (var index = 0; index < RevokedTokens; index++)
        {
            revoked.Add(await newToken(cancellationToken));
        }

        foreach (var cached in revoked.Prepend(token))
        {
            await ExpectAsync(client, cached, 200, cancellationToken);
        }

        var request = new HttpRequestShape(new Uri(instance.Address, PolledPath), BearerToken: token);
        var normal = await Wrk.RunAsync(request, threads, connections, duration, cancellationToken);

        var redis = (await blog.GetInstanceIdsAsync(BlogResources.Redis)).Single();
        var commands = blog.App.Services.GetRequiredService<ResourceCommandService>();
        await RunAsync(commands, redis, KnownResourceCommands.StopCommand, cancellationToken);
        try
        {
            // At least three bounds, so that the re-introspections are in the measurement.
            var outageDuration = duration > 3 * bound ? duration : 3 * bound;
            var introspectionsBefore = blog.CountIntrospections(BlogUnderTest.PostService, token);
            var outage = Wrk.RunAsync(request, threads, connections, outageDuration, cancellationToken);
            var refusals = new List<double>();
            foreach (var victim in revoked)
            {
                refusals.Add(await RevokeAndWaitForRefusalAsync(userService, client, victim, bound, cancellationToken));
            }

            var outageResult = await outage;
            // The log line is written before the call is sent; the delay only lets the log stream reach us.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var introspections = blog.CountIntrospections(BlogUnderTest.PostService, token) - introspectionsBefore;
            var allowed = (int)Math.Ceiling(outageDuration / bound) + 1;
            return new RedisOutageResult(normal, outageResult, outageDuration, introspections, allowed, refusals.Count,
                refusals.Count(milliseconds => milliseconds <= (bound + PollInterval).TotalMilliseconds), refusals.Max(), bound);
        }
        finally
        {
            await RunAsync(commands, redis, KnownResourceCommands.StartCommand, CancellationToken.None);
            using var healthy = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await blog.WaitHealthyAsync(BlogResources.Redis, healthy.Token);
        }
    }

    /// <summary>Revokes the token, then polls until the instance refuses it: from the revocation's answer to the sending of the first refused request (ms).</summary>
    private static async Task<double> RevokeAndWaitForRefusalAsync(HttpClient userService, HttpClient instance, string token, TimeSpan bound, CancellationToken cancellationToken)
    {
        using (var revoke = await userService.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "blog-client",
            ["token"] = token,
        }), cancellationToken))
        {
            revoke.EnsureSuccessStatusCode();
        }

        var answered = Stopwatch.GetTimestamp();
        while (true)
        {
            var sent = Stopwatch.GetElapsedTime(answered);
            using var request = new HttpRequestMessage(HttpMethod.Get, PolledPath);
            request.Headers.Authorization = new("Bearer", token);
            using var response = await instance.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 401 || sent > 3 * bound)
            {
                return sent.TotalMilliseconds;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static async Task ExpectAsync(HttpClient client, string token, int status, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PolledPath);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode != status)
        {
            throw new InvalidOperationException($"{PolledPath}: {(int)response.StatusCode}, expected {status}");
        }
    }

    private static async Task RunAsync(ResourceCommandService commands, string instanceId, string command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        var result = await commands.ExecuteCommandAsync(instanceId, command, timeout.Token);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} {instanceId}: {result.Message}");
        }
    }

    /// <summary>The phase's rows of the goals table.</summary>
    public static IEnumerable<GoalCheck> Goals(RedisOutageResult result)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        yield return new GoalCheck("Redis down: cached-token rate during the outage / just before it (in-process hit)",
            $">= {RedisOutageResult.GoalRatio.ToString(inv)}", result.Ratio.ToString("F3", inv), result.Ratio >= RedisOutageResult.GoalRatio);
        yield return new GoalCheck($"Redis down: introspections of the cached token in {result.OutageMeasured.TotalSeconds:F0} s (one per {result.Bound.TotalSeconds:F0} s bound, plus one)",
            $"<= {result.AllowedIntrospections}", result.Introspections.ToString(inv), result.Introspections <= result.AllowedIntrospections);
        yield return new GoalCheck($"Redis down: tokens revoked during the outage refused within {result.Bound.TotalSeconds:F0} s of the revocation's answer",
            $"{result.Revocations}", result.RefusedWithinBound.ToString(inv), result.RefusedWithinBound == result.Revocations);
        var errors = result.Normal.Errors + result.Outage.Errors;
        yield return new GoalCheck("Redis down: errors", "0", errors.ToString(inv), errors == 0);
    }

    public static string ToMarkdown(RedisOutageResult result) => $"""
        Redis down (`postservice`, one instance, `GET {PolledPath}` with one cached token, wrk as above: {result.Normal.RequestsPerSecond:N0} req/s just before Redis was stopped, {result.Outage.RequestsPerSecond:N0} req/s during {result.OutageMeasured.TotalSeconds:F0} s of the outage, ratio {result.Ratio:F3}; introspections of that token during the outage: {result.Introspections} (allowed {result.AllowedIntrospections}: one per degraded bound of {result.Bound.TotalSeconds:F0} s, plus one); {result.Revocations} tokens revoked during the outage, {result.RefusedWithinBound} refused within the bound after the revocation's answer (slowest {result.SlowestRefusalMs:F0} ms); errors {result.Normal.Errors + result.Outage.Errors}).
        Goal: during / before >= {RedisOutageResult.GoalRatio:F1}, introspections within the allowance, every revoked token refused within the bound, no error: {(result.GoalMet ? "met" : "NOT met")}.
        """;
}
