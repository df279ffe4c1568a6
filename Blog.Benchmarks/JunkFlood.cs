using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Blog.TestKit;

namespace Blog.Benchmarks;

/// <summary>What honest first requests cost with and without one client flooding the same instance with junk tokens.</summary>
public sealed record JunkFloodResult(
    int HonestRequests, LatencySummary Quiet, LatencySummary Flooded, int HonestErrors,
    long JunkRequests, long JunkRefused, long JunkOther, int Introspections)
{
    /// <summary>Honest first requests keep their latency under the flood: p99 at most this many times the quiet p99.</summary>
    public const double GoalP99Factor = 3.0;

    public bool GoalMet => HonestErrors == 0 && Flooded.P99Ms <= GoalP99Factor * Math.Max(Quiet.P99Ms, 1);
}

/// <summary>
/// One client (its own loopback address) sends bearer values shaped like this issuer's tokens (a real token with its
/// ciphertext replaced by random bytes: every one is new, so no cache can answer it) as fast as it can, while honest
/// clients (another address) send first requests with fresh, valid tokens, each of which needs an introspection. The
/// honest latency is measured alone, then under the flood: what one junk sender takes from the others.
/// </summary>
public static class JunkFlood
{
    public const string JunkAddress = "127.0.0.2";
    public const string HonestAddress = "127.0.0.3";
    private const int HonestConcurrency = 4;
    private const int JunkConcurrency = 32;

    public static async Task<JunkFloodResult> MeasureAsync(
        BlogUnderTest blog, string instance, Func<CancellationToken, Task<string>> newToken, int honestRequests, CancellationToken cancellationToken)
    {
        var address = blog.Instances[instance].Address;
        // Tokens first: minting them during a phase would load the user service the honest requests are waiting for.
        var quietTokens = await MintAsync(newToken, honestRequests, cancellationToken);
        var floodTokens = await MintAsync(newToken, honestRequests, cancellationToken);
        var template = quietTokens[0].Split('.');

        using var honest = LoopbackClient.From(HonestAddress, JunkConcurrency, address);
        var (quiet, quietErrors) = await SendHonestAsync(honest, quietTokens, cancellationToken);

        using var junk = LoopbackClient.From(JunkAddress, JunkConcurrency, address);
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long junkRequests = 0, junkRefused = 0, junkOther = 0;
        var introspectionsBefore = blog.CountIntrospections(instance);
        var flood = Enumerable.Range(0, JunkConcurrency).Select(_ => Task.Run(async () =>
        {
            while (!stopFlood.IsCancellationRequested)
            {
                try
                {
                    var status = await SendAsync(junk, Forge(template), stopFlood.Token);
                    Interlocked.Increment(ref junkRequests);
                    Interlocked.Increment(ref status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests ? ref junkRefused : ref junkOther);
                }
                catch (OperationCanceledException) when (stopFlood.IsCancellationRequested)
                {
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref junkOther);
                }
            }
        }, CancellationToken.None)).ToArray();

        // Let the flood reach its steady state before the honest requests start.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var (flooded, floodErrors) = await SendHonestAsync(honest, floodTokens, cancellationToken);
        await stopFlood.CancelAsync();
        await Task.WhenAll(flood);
        // The instance logs each introspection before sending it; give its log stream a moment to reach us.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var introspections = blog.CountIntrospections(instance) - introspectionsBefore - honestRequests;

        return new JunkFloodResult(honestRequests, quiet, flooded, quietErrors + floodErrors, junkRequests, junkRefused, junkOther, Math.Max(0, introspections));
    }

    private static async Task<IReadOnlyList<string>> MintAsync(Func<CancellationToken, Task<string>> newToken, int count, CancellationToken cancellationToken)
    {
        var tokens = new List<string>(count);
        for (var index = 0; index < count; index++)
        {
            tokens.Add(await newToken(cancellationToken));
        }

        return tokens;
    }

    private static async Task<(LatencySummary Latency, int Errors)> SendHonestAsync(HttpClient client, IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        var next = -1;
        var latencies = new List<double>[HonestConcurrency];
        var errors = 0;
        await Task.WhenAll(Enumerable.Range(0, HonestConcurrency).Select(async worker =>
        {
            latencies[worker] = [];
            int index;
            while ((index = Interlocked.Increment(ref next)) < tokens.Count)
            {
                var started = Stopwatch.GetTimestamp();
                var status = await SendAsync(client, tokens[index], cancellationToken);
                latencies[worker].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (status != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));

        return (LatencySummary.Of(latencies.SelectMany(list => list)), errors);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ping/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }

    /// <summary>A value with the shape of a token of this issuer (five segments, same lengths) that no one issued.</summary>
    private static string Forge(string[] template)
    {
        var segments = (string[])template.Clone();
        segments[3] = Base64Url(RandomNumberGenerator.GetBytes(segments[3].Length * 3 / 4));
        return string.Join('.', segments);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
