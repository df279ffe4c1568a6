using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.UserService;

/// <summary>
/// A person is shown to others by a display name chosen at registration, never by the login name (which, once public,
/// is half of what guessing a password needs). The owner and administrators see both.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class DisplayNameTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Registration_takes_a_trimmed_display_name_and_the_account_answers_show_both_names()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var userName = IdentityClient.NewUserName();
        var password = IdentityClient.NewPassword();

        using var registered = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName, displayName = "  Ada Lovelace \t", email = $"{userName}@example.test", password }, ct);

        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync(ct));
        var created = await registered.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(userName, created.GetProperty("userName").GetString());
        Assert.Equal("Ada Lovelace", created.GetProperty("displayName").GetString());

        var token = await _identity.GetAccountTokenAsync(new TestUser("", userName, password), ct);
        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", token), ct);
        var account = await me.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(userName, account.GetProperty("userName").GetString());
        Assert.Equal("Ada Lovelace", account.GetProperty("displayName").GetString());

        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), ct);
        using var asAdmin = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/admin/users/{created.GetProperty("id").GetString()}", adminToken), ct);
        var administered = await asAdmin.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(userName, administered.GetProperty("userName").GetString());
        Assert.Equal("Ada Lovelace", administered.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task Posts_the_directory_and_the_post_service_show_the_display_name_never_the_login_name()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var (user, token) = await NewAuthorAsync(_identity, ct);
        using var posts = fixture.CreateHttpClient(PostServiceName);

        var created = await CreatePostAsync(posts, token, ct);
        var id = created.GetProperty("id").GetString();
        using var publish = IdentityClient.Authorized(HttpMethod.Post, $"/api/posts/{id}/publish", token);
        publish.Headers.IfMatch.ParseAdd($"\"{created.GetProperty("version").GetUInt32()}\"");
        using (var published = await posts.SendAsync(publish, ct))
        {
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        var anonymousRead = await posts.GetStringAsync($"/api/posts/{id}", ct);
        var list = await posts.GetStringAsync($"/api/posts?author={user.Id}", ct);
        using var mine = await posts.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token), ct);
        var mineText = await mine.Content.ReadAsStringAsync(ct);
        using var ping = await posts.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/ping/me", token), ct);

        Assert.Equal(user.DisplayName, JsonDocument.Parse(anonymousRead).RootElement.GetProperty("authorName").GetString());
        foreach (var answer in new[] { anonymousRead, list, mineText, await ping.Content.ReadAsStringAsync(ct) })
        {
            Assert.DoesNotContain(user.UserName, answer, StringComparison.OrdinalIgnoreCase);
        }

        var serviceToken = await _identity.ClientCredentialsAsync(secret: null, ct);
        using var profile = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/users/{user.Id}", serviceToken.AccessToken), ct);
        var profileText = await profile.Content.ReadAsStringAsync(ct);
        Assert.Equal(user.DisplayName, JsonDocument.Parse(profileText).RootElement.GetProperty("displayName").GetString());
        Assert.DoesNotContain(user.UserName, profileText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tokens_follow_OpenID_Connect_name_is_the_display_name_preferred_username_the_login_name()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var user = await _identity.RegisterAsync(ct);

        var granted = await _identity.PasswordGrantAsync(user.UserName, user.Password, ct);
        Assert.Equal(HttpStatusCode.OK, granted.Status);
        var identityToken = JwtPayload(granted.Body.GetProperty("id_token").GetString()!);
        Assert.Equal(user.DisplayName, identityToken.GetProperty("name").GetString());
        Assert.Equal(user.UserName, identityToken.GetProperty("preferred_username").GetString());

        // The access token is the post service's: it gets the display name, not the login name.
        var introspected = await _identity.IntrospectAsync(granted.AccessToken, ct);
        Assert.Equal(user.DisplayName, introspected.GetProperty("name").GetString());
        Assert.DoesNotContain(user.UserName, introspected.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    private static JsonElement JwtPayload(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload))).RootElement.Clone();
    }
}
