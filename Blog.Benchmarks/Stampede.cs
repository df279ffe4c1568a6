using System.Diagnostics;
using System.Net.Http.Headers;

namespace Blog.Benchmarks;

/// <summary>What a burst of concurrent first requests with one fresh token did, and how many introspections it cost.</summary>
public sealed record StampedeResult(string Instance, int Requests, int Errors, int Introspections, double MedianMs, double P99Ms, double WallMs);

/// <summary>
/// Sends N requests with a token the instance has never seen, all at once: the connections are opened first (anonymous
/// pings), then every request is released by one gate, so they reach the service together. A .NET client is used
/// here instead of wrk: a stampede is one burst of exactly N requests, not a rate.
/// </summary>
public static class Stampede
{
    public static async Task<(int Requests, int Errors, double MedianMs, double P99Ms, double WallMs)> RunAsync(
        Uri address, string path, string token, int requests, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = requests, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = timeout };

        await Task.WhenAll(Enumerable.Range(0, requests).Select(async _ =>
        {
            using var ping = await client.GetAsync("/api/ping", cancellationToken);
        }));

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sends = Enumerable.Range(0, requests).Select(async _ =>
        {
            await gate.Task;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await client.SendAsync(request, cancellationToken);
                return (Ok: response.IsSuccessStatusCode, Milliseconds: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                return (Ok: false, Milliseconds: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToArray();

        var wall = Stopwatch.StartNew();
        gate.SetResult();
        var results = await Task.WhenAll(sends);
        wall.Stop();

        var latencies = results.Select(result => result.Milliseconds).Order().ToArray();
        return (requests, results.Count(result => !result.Ok), Statistics.Percentile(latencies, 0.50), Statistics.Percentile(latencies, 0.99), wall.Elapsed.TotalMilliseconds);
    }
}

public static class Statistics
{
    /// <summary>Nearest-rank percentile of ascending values (NaN for none).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double quantile)
        => sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static double Median(IEnumerable<double> values) => Percentile(values.Order().ToArray(), 0.50);
}
