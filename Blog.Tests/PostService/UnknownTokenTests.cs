using System.Net;
using System.Security.Cryptography;
using Blog.Tests.Fixtures;
using Microsoft.IdentityModel.Tokens;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.PostService;

/// <summary>
/// Bearer values that cannot be the user service's tokens cost no introspection, and one client sending junk cannot
/// take the user service's introspection capacity from the others.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class UnknownTokenTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(20);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_value_that_is_not_shaped_like_the_issuers_tokens_is_refused_without_introspection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);
        string[] junk =
        [
            "junk",
            $"not-a-token-{Guid.NewGuid():N}",
            // A signed JWT (three segments): the user service issues encrypted ones (five).
            $"{Segment(20)}.{Segment(40)}.{Segment(32)}",
            // Five segments, but not base64url.
            $"{Segment(20)}.{Segment(40)}.{Segment(12)}.{Segment(60)}!.{Segment(16)}",
            // Five base64url segments, far longer than any token the user service issues.
            $"{Segment(20)}.{Segment(40)}.{Segment(12)}.{Segment(12_000)}.{Segment(16)}",
        ];

        foreach (var replica in await fixture.CreateReplicaClientsAsync(PostServiceName))
        {
            using (replica)
            {
                foreach (var value in junk)
                {
                    using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", value);
                    using var response = await replica.SendAsync(request, ct);
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{TokenId(value)}: {(int)response.StatusCode}");
                    Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
                }
            }
        }

        // A real token afterwards is introspected and logged: once its line is in, the junk's would be too.
        var (_, marker) = await NewAuthorAsync(_identity, ct);
        using var posts = fixture.CreateHttpClient(PostServiceName);
        using (var markerRequest = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", marker))
        using (var markerResponse = await posts.SendAsync(markerRequest, ct))
        {
            Assert.Equal(HttpStatusCode.OK, markerResponse.StatusCode);
        }

        await logs.WaitForAsync(IntrospectionLine(marker), 1, LogTimeout);
        Assert.All(junk, value => Assert.Equal(0, logs.Count(IntrospectionLine(value))));
    }

    [Fact]
    public async Task A_client_over_the_bound_of_rejected_tokens_is_refused_while_another_clients_new_token_is_accepted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        var replica = await FirstReplicaAddressAsync();
        using var flooder = LoopbackClient.From("127.0.0.86");
        using var bystander = LoopbackClient.From("127.0.0.87");
        var (_, flooderToken) = await NewAuthorAsync(_identity, ct);
        var (_, bystanderToken) = await NewAuthorAsync(_identity, ct);
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);

        HttpStatusCode? refusal = null;
        for (var attempt = 0; attempt < 500 && refusal is null; attempt++)
        {
            // Shaped like an encrypted token, so each one needs the user service's verdict.
            using var request = IdentityClient.Authorized(HttpMethod.Get, new Uri(replica, "/api/posts/mine").ToString(), ForgedJwe());
            using var response = await flooder.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                refusal = response.StatusCode;
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, refusal);
        using (var other = IdentityClient.Authorized(HttpMethod.Get, new Uri(replica, "/api/posts/mine").ToString(), bystanderToken))
        using (var accepted = await bystander.SendAsync(other, ct))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        // The flooding client's next unknown token is refused without costing the user service anything.
        using (var own = IdentityClient.Authorized(HttpMethod.Get, new Uri(replica, "/api/posts/mine").ToString(), flooderToken))
        using (var refused = await flooder.SendAsync(own, ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        await logs.WaitForAsync(IntrospectionLine(bystanderToken), 1, LogTimeout);
        Assert.Equal(0, logs.Count(IntrospectionLine(flooderToken)));
    }

    private async Task<Uri> FirstReplicaAddressAsync()
    {
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceName);
        var address = replicas[0].BaseAddress!;
        foreach (var replica in replicas)
        {
            replica.Dispose();
        }

        return address;
    }

    private static string ForgedJwe()
        => $"{Base64UrlEncoder.Encode("""{"alg":"A256KW","enc":"A256CBC-HS512","typ":"at+jwt"}""")}.{Segment(40)}.{Segment(16)}.{Segment(300)}.{Segment(32)}";

    private static string Segment(int bytes) => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(bytes));
}
