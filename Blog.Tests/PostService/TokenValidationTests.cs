using System.Net;
using System.Text;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.PostService;

/// <summary>Which tokens the post service accepts (introspection only) and that it introspects a token once.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class TokenValidationTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(20);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Garbage_tampered_expired_and_foreign_tokens_are_rejected_with_401()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (user, token) = await NewAuthorAsync(_identity, ct);
        // Without the posts scope the token's audience is not the post service.
        var withoutPostsScope = await _identity.PasswordGrantAsync(user.UserName, user.Password, ct, scope: "openid profile roles");
        Assert.Equal(HttpStatusCode.OK, withoutPostsScope.Status);
        // The post service's own client-credentials token is meant for the user service.
        var serviceToken = await _identity.GetServiceTokenAsync(ct);

        string[] rejected =
        [
            "garbage",
            Tamper(token),
            ExpiredLookingJwt(user.Id),
            withoutPostsScope.AccessToken,
            serviceToken,
        ];
        foreach (var candidate in rejected)
        {
            using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", candidate);
            using var response = await posts.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"token {TokenId(candidate)}: {(int)response.StatusCode}");
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }

        using var valid = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token);
        using var accepted = await posts.SendAsync(valid, ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_second_request_with_the_same_token_does_not_introspect_again()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, ct);
        var (_, marker) = await NewAuthorAsync(_identity, ct);

        await AssertMineAsync(posts, token, ct);
        await logs.WaitForAsync(IntrospectionLine(token), 1, LogTimeout);
        await AssertMineAsync(posts, token, ct);
        await AssertMineAsync(posts, token, ct);

        // The service's log is ordered: once a later token's introspection shows, the earlier requests' lines would have.
        await AssertMineAsync(posts, marker, ct);
        await logs.WaitForAsync(IntrospectionLine(marker), 1, LogTimeout);
        Assert.Equal(1, logs.Count(IntrospectionLine(token)));
    }

    [Fact]
    public async Task Concurrent_first_requests_with_one_token_share_one_introspection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        // One replica, on its own address: single-flight is per instance (the proxy would spread the burst).
        var posts = (await fixture.CreateReplicaClientsAsync(PostServiceName))[0];
        await using var logs = await ResourceLogWatcher.StartAsync(fixture, PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, ct);
        var (_, marker) = await NewAuthorAsync(_identity, ct);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => AssertMineAsync(posts, token, ct)));

        await AssertMineAsync(posts, marker, ct);
        await logs.WaitForAsync(IntrospectionLine(marker), 1, LogTimeout);
        Assert.Equal(1, logs.Count(IntrospectionLine(token)));
    }

    private static async Task AssertMineAsync(HttpClient posts, string token, CancellationToken cancellationToken)
    {
        using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token);
        using var response = await posts.SendAsync(request, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The same token with one character of its last segment changed.</summary>
    private static string Tamper(string token)
    {
        var index = token.Length - 8;
        return string.Concat(token.AsSpan(0, index), token[index] == 'A' ? "B" : "A", token.AsSpan(index + 1));
    }

    /// <summary>A JWT-shaped token for the right audience that expired an hour ago (and that nobody issued).</summary>
    private static string ExpiredLookingJwt(string subject)
    {
        static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        return $"{Encode("""{"alg":"RS256","typ":"at+jwt"}""")}.{Encode($$"""{"iss":"http://userservice/","aud":"post-service","sub":"{{subject}}","exp":{{exp}}}""")}.c2lnbmF0dXJl";
    }
}
