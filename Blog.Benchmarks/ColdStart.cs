using System.Diagnostics;
using System.Net.Http.Headers;

namespace Blog.Benchmarks;

/// <summary>What the first request of every one of many new tokens cost: each needed an introspection.</summary>
public sealed record ColdStartResult(string Instance, int Tokens, int Connections, int Errors, int Introspections, double MedianMs, double P99Ms, double WallMs)
{
    public double RequestsPerSecond => WallMs > 0 ? Tokens * 1000.0 / WallMs : 0;
}

/// <summary>
/// Sends one request per token, each token new to the instance and to Redis, <c>connections</c> at a time (each
/// connection takes the next unused token): a restart, or a crowd of new users, where nothing is cached yet. A .NET
/// client as in <see cref="Stampede"/>: it is one pass over exactly N tokens, not a rate.
/// </summary>
public static class ColdStart
{
    public static async Task<(int Errors, double MedianMs, double P99Ms, double WallMs)> RunAsync(
        Uri address, string path, IReadOnlyList<string> tokens, int connections, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = timeout };
        var latencies = new double[tokens.Count];
        var errors = 0;
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            for (var index = Interlocked.Increment(ref next); index < tokens.Count; index = Interlocked.Increment(ref next))
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[index]);
                    using var response = await client.SendAsync(request, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        wall.Stop();

        var sorted = latencies.Order().ToArray();
        return (errors, Statistics.Percentile(sorted, 0.50), Statistics.Percentile(sorted, 0.99), wall.Elapsed.TotalMilliseconds);
    }
}
