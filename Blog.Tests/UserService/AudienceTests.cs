using System.Net;
using System.Net.Http.Headers;
using Blog.Tests.Fixtures;
using Blog.Tests.PostService;
using Blog.Tests.Security;

namespace Blog.Tests.UserService;

/// <summary>
/// One token per resource: the post service receives every person's post-service token (scope posts, audience
/// post-service), so the user service's account and admin APIs must refuse it; they take tokens of audience
/// user-service (scope account), which the post service refuses in turn. A refresh token mints either.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class AudienceTests(BlogAppFixture fixture)
{
    private const string PostService = "post-service";
    private const string UserService = "user-service";
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task A_post_service_token_is_refused_by_the_account_and_admin_apis_even_for_the_admin()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceTestContext.PostServiceName);
        var user = await _identity.RegisterAsync(ct);
        var userPostsToken = await _identity.GetAccessTokenAsync(user, ct);
        var admin = await _identity.GetAdminAsync();
        var adminPostsToken = await _identity.GetAccessTokenAsync(admin, ct);
        var adminAccountToken = await _identity.GetAccountTokenAsync(admin, ct);

        foreach (var (who, token, path) in new[]
                 {
                     ("user", userPostsToken, "/api/account/me"),
                     ("admin", adminPostsToken, "/api/account/me"),
                     ("admin", adminPostsToken, "/api/admin/users"),
                 })
        {
            using var refused = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, path, token), ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"the {who}'s post-service token at {path}: {(int)refused.StatusCode}");
            AssertInvalidTokenChallenge(refused.Headers.WwwAuthenticate);
        }

        // The same people with the tokens meant for each service.
        using var adminList = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/admin/users", adminAccountToken), ct);
        Assert.Equal(HttpStatusCode.OK, adminList.StatusCode);
        using var mine = await posts.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", userPostsToken), ct);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
    }

    [Fact]
    public async Task An_account_token_is_refused_by_the_post_service()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceTestContext.PostServiceName);
        var user = await _identity.RegisterAsync(ct);
        var accountToken = await _identity.GetAccountTokenAsync(user, ct);

        var payload = await ExpiredTokens.ReadPayloadAsync(fixture, accountToken);
        Assert.Equal([UserService], IdentityClient.Audiences(payload));
        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", accountToken), ct);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        using var refused = await posts.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", accountToken), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertInvalidTokenChallenge(refused.Headers.WwwAuthenticate);
        // The post service is no audience of the token: introspection tells it nothing.
        Assert.False((await _identity.IntrospectAsync(accountToken, ct)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task A_refresh_token_mints_a_token_for_either_resource_but_no_scope_the_login_lacked()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceTestContext.PostServiceName);
        var user = await _identity.RegisterAsync(ct);

        // A token asked for with both scopes carries both audiences (allowed; one per resource is what clients should ask for).
        var login = await _identity.PasswordGrantAsync(user.UserName, user.Password, ct, $"{IdentityClient.PeopleScopes} account");
        Assert.True(login.Status == HttpStatusCode.OK, $"password grant: {login.Body}");
        Assert.Equal([PostService, UserService], IdentityClient.Audiences(await ExpiredTokens.ReadPayloadAsync(fixture, login.AccessToken)).Order(StringComparer.Ordinal));

        var postsOnly = await _identity.RefreshAsync(login.RefreshToken!, ct, scope: "posts");
        Assert.True(postsOnly.Status == HttpStatusCode.OK, $"refresh with scope=posts: {postsOnly.Body}");
        var introspected = await _identity.IntrospectAsync(postsOnly.AccessToken, ct);
        Assert.True(introspected.GetProperty("active").GetBoolean());
        Assert.Equal([PostService], IdentityClient.Audiences(introspected));
        Assert.Equal("posts", introspected.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(posts, "/api/posts/mine", postsOnly.AccessToken, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(_identity.UserService, "/api/account/me", postsOnly.AccessToken, ct));

        // The new refresh token still holds every scope of the login: it mints the account token next.
        Assert.NotNull(postsOnly.RefreshToken);
        var accountOnly = await _identity.RefreshAsync(postsOnly.RefreshToken!, ct, scope: "account");
        Assert.True(accountOnly.Status == HttpStatusCode.OK, $"refresh with scope=account: {accountOnly.Body}");
        var payload = await ExpiredTokens.ReadPayloadAsync(fixture, accountOnly.AccessToken);
        Assert.Equal([UserService], IdentityClient.Audiences(payload));
        Assert.False((await _identity.IntrospectAsync(accountOnly.AccessToken, ct)).GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(_identity.UserService, "/api/account/me", accountOnly.AccessToken, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(posts, "/api/posts/mine", accountOnly.AccessToken, ct));

        // A login for the post service only cannot be widened by a refresh (RFC 6749 section 6).
        var postsLogin = await _identity.PasswordGrantAsync(user.UserName, user.Password, ct);
        var widened = await _identity.RefreshAsync(postsLogin.RefreshToken!, ct, scope: "account");
        Assert.Equal(HttpStatusCode.BadRequest, widened.Status);
        Assert.Equal("invalid_grant", widened.Error);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path, string token, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(IdentityClient.Authorized(HttpMethod.Get, path, token), cancellationToken);
        return response.StatusCode;
    }

    private static void AssertInvalidTokenChallenge(HttpHeaderValueCollection<AuthenticationHeaderValue> challenge)
    {
        var text = challenge.ToString();
        Assert.StartsWith("Bearer", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("invalid_token", text, StringComparison.Ordinal);
    }
}
