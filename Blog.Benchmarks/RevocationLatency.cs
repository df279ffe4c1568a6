using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Benchmarks;

/// <summary>Revocation-to-refusal: from sending the revocation to the last replica refusing the token.</summary>
public sealed record RevocationLatencyResult(int Revocations, int NotRefusedInTime, double MedianMs, double P99Ms, double MaxMs);

/// <summary>
/// For each round: a fresh token, cached on every replica (each answers 200 from its in-process level), then
/// revoked at the user service (RFC 7009); every replica is polled on its own address until it answers 401. The
/// refusal includes the one introspection a replica makes once the event has evicted its entry.
/// </summary>
public static class RevocationLatency
{
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(5);

    public static async Task<RevocationLatencyResult> MeasureAsync(
        HttpClient userService, IReadOnlyList<Uri> replicas, string userName, string password, int revocations, CancellationToken cancellationToken)
    {
        var clients = replicas.Select(address => new HttpClient { BaseAddress = address, Timeout = RefusalTimeout }).ToList();
        try
        {
            var latencies = new List<double>(revocations);
            var late = 0;
            for (var round = 0; round < revocations; round++)
            {
                var token = await GetTokenAsync(userService, userName, password, cancellationToken);
                foreach (var client in clients)
                {
                    if (await GetMineAsync(client, token, cancellationToken) != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"{client.BaseAddress} refused a fresh token");
                    }
                }

                var started = Stopwatch.GetTimestamp();
                using (var revoke = await userService.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["client_id"] = "blog-client",
                    ["token"] = token,
                }), cancellationToken))
                {
                    revoke.EnsureSuccessStatusCode();
                }

                var refused = await Task.WhenAll(clients.Select(client => WaitForRefusalAsync(client, token, started, cancellationToken)));
                if (refused.Any(elapsed => elapsed is null))
                {
                    late++;
                }

                latencies.Add(refused.Max(elapsed => elapsed ?? RefusalTimeout).TotalMilliseconds);
            }

            var sorted = latencies.Order().ToArray();
            return new RevocationLatencyResult(revocations, late, Statistics.Percentile(sorted, 0.50), Statistics.Percentile(sorted, 0.99), sorted[^1]);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    private static async Task<TimeSpan?> WaitForRefusalAsync(HttpClient client, string token, long started, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetElapsedTime(started) < RefusalTimeout)
        {
            if (await GetMineAsync(client, token, cancellationToken) == HttpStatusCode.Unauthorized)
            {
                return Stopwatch.GetElapsedTime(started);
            }
        }

        return null;
    }

    private static async Task<HttpStatusCode> GetMineAsync(HttpClient client, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/posts/mine");
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
