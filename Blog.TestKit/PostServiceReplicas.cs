using System.Net;

namespace Blog.TestKit;

/// <summary>
/// Requests to each post-service replica on its own address (<see cref="BlogApplication.CreateReplicaClientsAsync"/>):
/// "GET /api/posts/mine" is the cheapest request that needs a valid token, so it shows whether a replica accepts one.
/// </summary>
public static class PostServiceReplicas
{
    public static async Task<HttpStatusCode> GetMineAsync(HttpClient replica, string token, CancellationToken cancellationToken)
    {
        using var response = await replica.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token), cancellationToken);
        return response.StatusCode;
    }

    /// <summary>Every replica accepts every token, so each has it cached (and introspected it at most once).</summary>
    public static async Task WarmAsync(IReadOnlyList<HttpClient> replicas, string[] tokens, CancellationToken cancellationToken)
    {
        foreach (var replica in replicas)
        {
            foreach (var token in tokens)
            {
                Assert.Equal(HttpStatusCode.OK, await GetMineAsync(replica, token, cancellationToken));
            }
        }
    }
}
