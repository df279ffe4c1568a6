using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>The OAuth 2 server: grants, introspection, revocation, and what tokens carry.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class TokenTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Register_then_password_grant_then_me()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);

        var token = await _identity.GetAccountTokenAsync(user, timeout.Token);
        using var response = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", token), timeout.Token);

        response.EnsureSuccessStatusCode();
        var me = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.Equal(user.Id, me.GetProperty("id").GetString());
        Assert.Equal(user.UserName, me.GetProperty("userName").GetString());
        Assert.Equal($"{user.UserName}@example.test", me.GetProperty("email").GetString());
        Assert.Equal(["author"], me.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
    }

    [Fact]
    public async Task Introspection_tells_the_post_service_who_the_token_is_for_until_it_is_revoked()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccessTokenAsync(user, timeout.Token);

        var active = await _identity.IntrospectAsync(token, timeout.Token);
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal(user.Id, active.GetProperty("sub").GetString());
        // name is the display name; the login name (preferred_username) is for identity tokens only, never the resource server.
        Assert.Equal(user.DisplayName, active.GetProperty("name").GetString());
        Assert.False(active.TryGetProperty("preferred_username", out _));
        Assert.Equal("author", active.GetProperty("role").GetString());
        // The issuer is the user service's public URL, the one this client reaches it by.
        Assert.Equal(_identity.UserService.BaseAddress!.AbsoluteUri, active.GetProperty("iss").GetString());
        Assert.Equal(["post-service"], IdentityClient.Audiences(active));
        Assert.Contains("posts", active.GetProperty("scope").GetString()!.Split(' '));
        var expiresIn = DateTimeOffset.FromUnixTimeSeconds(active.GetProperty("exp").GetInt64()) - DateTimeOffset.UtcNow;
        Assert.InRange(expiresIn, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15.5)); // default lifetime: 15 min

        await _identity.RevokeAsync(token, timeout.Token);

        var revoked = await _identity.IntrospectAsync(token, timeout.Token);
        Assert.False(revoked.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Refresh_works_and_stops_working_once_the_user_is_locked()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);
        var first = await _identity.PasswordGrantAsync(user.UserName, user.Password, timeout.Token);
        Assert.NotNull(first.RefreshToken);

        var refreshed = await _identity.RefreshAsync(first.RefreshToken!, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.NotEqual(first.AccessToken, refreshed.AccessToken);

        var admin = await _identity.GetAdminAsync();
        var adminToken = await _identity.GetAccountTokenAsync(admin, timeout.Token);
        using (var locked = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Post, $"/api/admin/users/{user.Id}/lock", adminToken), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, locked.StatusCode);
        }

        var afterLock = await _identity.RefreshAsync(refreshed.RefreshToken!, timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, afterLock.Status);
        Assert.Equal("invalid_grant", afterLock.Error);
        Assert.False((await _identity.IntrospectAsync(refreshed.AccessToken, timeout.Token)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Client_credentials_work_for_the_post_services_directory_client_and_fail_with_a_wrong_secret()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        var granted = await _identity.ClientCredentialsAsync(secret: null, timeout.Token);
        var refused = await _identity.ClientCredentialsAsync("not-the-secret", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, granted.Status);
        var user = await _identity.RegisterAsync(timeout.Token);
        using (var profile = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/users/{user.Id}", granted.AccessToken), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        }

        // The introspection client is neither the token's client nor its audience: it learns nothing of it.
        Assert.False((await _identity.IntrospectAsync(granted.AccessToken, timeout.Token)).GetProperty("active").GetBoolean());

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("invalid_client", refused.Error);
    }

    [Fact]
    public async Task Service_api_answers_a_users_read_token_and_refuses_a_persons_token()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);
        var serviceToken = (await _identity.ClientCredentialsAsync(secret: null, timeout.Token)).AccessToken;
        // A person's token for the user service, yet without the users.read scope.
        var personToken = await _identity.GetAccountTokenAsync(user, timeout.Token);

        using var profile = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Get, $"/api/users/{user.Id}", serviceToken), timeout.Token);
        using var lookup = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Post, "/api/users/lookup", serviceToken, new { ids = new[] { user.Id, "no-such-id" } }), timeout.Token);
        using var refused = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Get, $"/api/users/{user.Id}", personToken), timeout.Token);

        Assert.Equal(user.DisplayName, (await profile.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("displayName").GetString());
        var found = await lookup.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.Equal([user.Id], found.EnumerateArray().Select(item => item.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Password_change_revokes_every_token_of_the_user()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccountTokenAsync(user, timeout.Token);
        var postsToken = await _identity.GetAccessTokenAsync(user, timeout.Token);

        using var changed = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/password", token,
            new { currentPassword = user.Password, newPassword = IdentityClient.NewPassword() }), timeout.Token);

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        // Both kinds: the post service's introspection says the post-service token is gone, the user service refuses its own.
        Assert.False((await _identity.IntrospectAsync(postsToken, timeout.Token)).GetProperty("active").GetBoolean());
        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", token), timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task A_revoked_token_stops_working_on_the_user_services_own_api_at_once()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var user = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccountTokenAsync(user, timeout.Token);

        using (var logout = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Post, "/api/account/logout-all", token), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", token), timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }
}
