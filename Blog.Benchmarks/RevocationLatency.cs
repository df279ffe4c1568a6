using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Benchmarks;

/// <summary>Median, 99th percentile and maximum of one series of durations, in milliseconds.</summary>
public sealed record LatencySummary(double MedianMs, double P99Ms, double MaxMs)
{
    public static LatencySummary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return new LatencySummary(Statistics.Percentile(sorted, 0.50), Statistics.Percentile(sorted, 0.99), sorted.Length == 0 ? double.NaN : sorted[^1]);
    }
}

/// <summary>
/// Revocation-to-refusal, from sending the revocation to the last replica refusing the token; beside it, when the
/// revocation endpoint answered, and the last refusal relative to that answer (negative: refused before the answer);
/// <see cref="WarmUp"/>: sending -> last refusal over the uncounted first rounds, what a freshly started service costs.
/// </summary>
public sealed record RevocationLatencyResult(
    int Revocations, int NotRefusedInTime, LatencySummary Total, LatencySummary Endpoint, LatencySummary AfterAnswer, LatencySummary WarmUp)
{
    /// <summary>The goal for the 99th percentile, on this machine.</summary>
    public const double GoalP99Ms = 100;

    public bool GoalMet => NotRefusedInTime == 0 && Total.P99Ms < GoalP99Ms;

    /// <summary>A freshly started user service: the first revocations' p99 at most this many times the steady p99.</summary>
    public const double GoalWarmUpFactor = 1.5;

    /// <summary>The steady p99 on a quiet machine (the run's load average says whether it was).</summary>
    public const double GoalSteadyP99Ms = 15;

    public double WarmUpFactor => WarmUp.P99Ms / Total.P99Ms;

    public bool WarmUpGoalMet => WarmUpFactor <= GoalWarmUpFactor;

    public bool SteadyGoalMet => Total.P99Ms < GoalSteadyP99Ms;
}

/// <summary>
/// For each round: a fresh token, cached on every replica (each answers 200 from its in-process level), then
/// revoked at the user service (RFC 7009) while every replica is polled on its own address until it answers 401.
/// </summary>
public static class RevocationLatency
{
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Authenticated, and nothing else: the observer must not load the two cores it shares with the user service being
    /// timed (a database query per poll, as GET /api/posts/mine costs, made every step of the revocation slower).
    /// </summary>
    public const string PolledPath = "/api/ping/me";

    /// <summary>
    /// Rounds run first and not counted. The revocation path's methods run once per revocation, so they reach
    /// optimized (tier-1) code only after some 30 calls: until then each revocation was two to three times slower
    /// (measured with timestamps around OpenIddict's handlers: the time to publish fell until about the 100th
    /// revocation). The figure of record is for a service that has been running; the warm-up is reported beside it.
    /// </summary>
    public const int WarmupRevocations = 100;

    public static async Task<RevocationLatencyResult> MeasureAsync(
        HttpClient userService, IReadOnlyList<Uri> replicas, string userName, string password, int revocations, CancellationToken cancellationToken)
    {
        var clients = replicas.Select(address => new HttpClient { BaseAddress = address, Timeout = RefusalTimeout }).ToList();
        try
        {
            var totals = new List<double>(revocations);
            var endpoint = new List<double>(revocations);
            var afterAnswer = new List<double>(revocations);
            var warmUp = new List<double>(WarmupRevocations);
            var late = 0;
            for (var round = -WarmupRevocations; round < revocations; round++)
            {
                var token = await GetTokenAsync(userService, userName, password, cancellationToken);
                foreach (var client in clients)
                {
                    if (await GetAuthenticatedAsync(client, token, cancellationToken) != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"{client.BaseAddress} refused a fresh token");
                    }
                }

                // Every replica is polled from the moment the revocation is sent: the caches may refuse the token
                // before the revocation endpoint has answered.
                var started = Stopwatch.GetTimestamp();
                var refusals = clients.Select(client => WaitForRefusalAsync(client, token, started, cancellationToken)).ToArray();
                using (var revoke = await userService.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["client_id"] = "blog-client",
                    ["token"] = token,
                }), cancellationToken))
                {
                    revoke.EnsureSuccessStatusCode();
                }

                var answered = Stopwatch.GetElapsedTime(started);
                var refused = await Task.WhenAll(refusals);
                var last = refused.Max(elapsed => elapsed ?? RefusalTimeout);
                if (round < 0)
                {
                    warmUp.Add(last.TotalMilliseconds);
                    continue;
                }

                if (refused.Any(elapsed => elapsed is null))
                {
                    late++;
                }

                totals.Add(last.TotalMilliseconds);
                endpoint.Add(answered.TotalMilliseconds);
                afterAnswer.Add((last - answered).TotalMilliseconds);
            }

            return new RevocationLatencyResult(revocations, late, LatencySummary.Of(totals), LatencySummary.Of(endpoint), LatencySummary.Of(afterAnswer), LatencySummary.Of(warmUp));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    /// <summary>
    /// Polls one replica, a request at most every <see cref="PollInterval"/>: polling back to back would take the two
    /// cores from the user service whose revocation is being timed. The refusal is seen at most one interval late.
    /// </summary>
    private static async Task<TimeSpan?> WaitForRefusalAsync(HttpClient client, string token, long started, CancellationToken cancellationToken)
    {
        using var pace = new PeriodicTimer(PollInterval);
        while (Stopwatch.GetElapsedTime(started) < RefusalTimeout)
        {
            if (await GetAuthenticatedAsync(client, token, cancellationToken) == HttpStatusCode.Unauthorized)
            {
                return Stopwatch.GetElapsedTime(started);
            }

            await pace.WaitForNextTickAsync(cancellationToken);
        }

        return null;
    }

    private static async Task<HttpStatusCode> GetAuthenticatedAsync(HttpClient client, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PolledPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }

    private static async Task<string> GetTokenAsync(HttpClient userService, string userName, string password, CancellationToken cancellationToken)
    {
        using var response = await userService.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "blog-client",
            ["username"] = userName,
            ["password"] = password,
            ["scope"] = "openid profile roles posts",
        }), cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("access_token").GetString()!;
    }
}
