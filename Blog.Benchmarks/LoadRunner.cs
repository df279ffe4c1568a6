using System.Diagnostics;

namespace Blog.Benchmarks;

/// <summary>What one scenario measured.</summary>
public sealed record LoadResult(string Scenario, int Requests, int Errors, double RequestsPerSecond, double MedianMs, double P99Ms)
{
    public string ToMarkdownRow() => $"| {Scenario} | {Requests} | {Errors} | {RequestsPerSecond:F1} | {MedianMs:F2} | {P99Ms:F2} |";

    public const string MarkdownHeader = "| scenario | requests | errors | req/s | median ms | p99 ms |\n|---|---|---|---|---|---|";
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers send requests back to back until <c>requests</c> are done
/// or <c>maxDuration</c> passes (both bounds always apply), after an unmeasured warm-up.
/// </summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        string scenario, Func<CancellationToken, Task<bool>> send, int requests, int concurrency, TimeSpan maxDuration, int warmup = 20)
    {
        using var warmupTimeout = new CancellationTokenSource(maxDuration);
        for (var i = 0; i < warmup; i++)
        {
            await send(warmupTimeout.Token);
        }

        var latencies = new double[requests];
        var next = -1;
        var errors = 0;
        using var timeout = new CancellationTokenSource(maxDuration);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests && !timeout.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await send(timeout.Token);
                }
                catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
                {
                    ok = false;
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        await Task.WhenAll(workers);
        clock.Stop();

        var done = Math.Min(requests, next);
        var sorted = latencies.Take(done).Order().ToArray();
        return new LoadResult(scenario, done, errors, done / clock.Elapsed.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    public static double Percentile(double[] sorted, double quantile)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
