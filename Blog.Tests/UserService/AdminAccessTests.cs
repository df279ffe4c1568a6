using System.Net;
using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>Every admin endpoint refuses anonymous callers (401) and non-admins (403), and serves admins.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class AdminAccessTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    public static TheoryData<string, string> AdminEndpoints() => new()
    {
        { "GET", "/api/admin/users" },
        { "GET", "/api/admin/users/{id}" },
        { "PUT", "/api/admin/users/{id}/roles" },
        { "POST", "/api/admin/users/{id}/lock" },
        { "POST", "/api/admin/users/{id}/unlock" },
        { "DELETE", "/api/admin/users/{id}" },
    };

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task Admin_endpoint_refuses_anonymous_and_authors(string method, string path)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var author = await _identity.RegisterAsync(timeout.Token);
        var authorToken = await _identity.GetAccountTokenAsync(author, timeout.Token);
        var uri = path.Replace("{id}", author.Id, StringComparison.Ordinal);
        object? body = method == "PUT" ? new { roles = new[] { "admin", "author" } } : null;

        using var anonymous = await _identity.UserService.SendAsync(new HttpRequestMessage(new HttpMethod(method), uri), timeout.Token);
        using var asAuthor = await _identity.UserService.SendAsync(IdentityClient.Authorized(new HttpMethod(method), uri, authorToken, body), timeout.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asAuthor.StatusCode);
    }

    [Fact]
    public async Task Admin_lists_and_reads_users_and_role_changes_revoke_tokens()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), timeout.Token);
        var author = await _identity.RegisterAsync(timeout.Token);
        var authorToken = await _identity.GetAccessTokenAsync(author, timeout.Token);

        using var list = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/admin/users?page=1&pageSize=5", adminToken), timeout.Token);
        using var one = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/admin/users/{author.Id}", adminToken), timeout.Token);
        using var demote = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Put, $"/api/admin/users/{author.Id}/roles", adminToken, new { roles = Array.Empty<string>() }), timeout.Token);
        using var unknownRole = await _identity.UserService.SendAsync(
            IdentityClient.Authorized(HttpMethod.Put, $"/api/admin/users/{author.Id}/roles", adminToken, new { roles = new[] { "root" } }), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownRole.StatusCode);
        Assert.False((await _identity.IntrospectAsync(authorToken, timeout.Token)).GetProperty("active").GetBoolean());
    }
}
