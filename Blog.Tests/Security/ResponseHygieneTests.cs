using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.BadInput;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.Security;

/// <summary>
/// What every answer carries or leaves out: no MIME sniffing, nothing personal kept by a cache, no internals in the
/// health report or in a ProblemDetails.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class ResponseHygieneTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Every_answer_of_both_services_says_nosniff()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        using var users = fixture.CreateHttpClient(BlogResources.UserService);
        using var posts = fixture.CreateHttpClient(PostServiceName);

        var answers = new List<(string What, HttpResponseMessage Response)>
        {
            ("user service /health", await users.GetAsync("/health", ct)),
            ("user service /alive", await users.GetAsync("/alive", ct)),
            ("user service 401", await users.GetAsync("/api/account/me", ct)),
            ("user service 404", await users.GetAsync("/no/such/path", ct)),
            ("user service 400", await users.PostAsJsonAsync("/api/account/register", new { }, ct)),
            ("user service discovery", await users.GetAsync("/.well-known/openid-configuration", ct)),
            ("user service token error", await users.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password", ["client_id"] = "blog-client" }), ct)),
            ("post service /health", await posts.GetAsync("/health", ct)),
            ("post service list", await posts.GetAsync("/api/posts", ct)),
            ("post service 401", await posts.GetAsync("/api/posts/mine", ct)),
            ("post service 404", await posts.GetAsync("/no/such/path", ct)),
            ("post service openapi", await posts.GetAsync("/openapi/v1.json", ct)),
        };

        try
        {
            foreach (var (what, response) in answers)
            {
                Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values) && values.Single() == "nosniff", $"{what}: no X-Content-Type-Options: nosniff");
            }
        }
        finally
        {
            answers.ForEach(answer => answer.Response.Dispose());
        }
    }

    [Fact]
    public async Task Account_admin_and_token_answers_are_not_stored_by_caches()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var ct = timeout.Token;
        var userName = IdentityClient.NewUserName();
        var password = IdentityClient.NewPassword();
        using var registered = await _identity.UserService.PostAsJsonAsync("/api/account/register",
            new { userName, displayName = IdentityClient.NewDisplayName(), email = $"{userName}@example.test", password }, ct);
        var user = new TestUser((await registered.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!, userName, password);
        using var token = await _identity.UserService.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "blog-client", ["username"] = userName, ["password"] = password, ["scope"] = IdentityClient.AccountScopes,
        }), ct);
        var accountToken = (await token.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("access_token").GetString()!;
        var adminToken = await _identity.GetAccountTokenAsync(await _identity.GetAdminAsync(), ct);

        using var me = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/account/me", accountToken), ct);
        using var anonymousMe = await _identity.UserService.GetAsync("/api/account/me", ct);
        using var list = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, "/api/admin/users?pageSize=1", adminToken), ct);
        using var one = await _identity.UserService.SendAsync(IdentityClient.Authorized(HttpMethod.Get, $"/api/admin/users/{user.Id}", adminToken), ct);

        foreach (var (what, response) in new[] { ("register", registered), ("token", token), ("me", me), ("me without a token", anonymousMe), ("admin list", list), ("admin user", one) })
        {
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what} ({(int)response.StatusCode}): Cache-Control is '{response.Headers.CacheControl}'");
        }
    }

    [Theory]
    [InlineData(BlogResources.UserService)]
    [InlineData(PostServiceName)]
    public async Task The_health_report_gives_every_check_s_status_and_no_detail(string service)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var client = fixture.CreateHttpClient(service);

        var report = await client.GetFromJsonAsync<JsonElement>("/health", timeout.Token);

        Assert.Equal("Healthy", report.GetProperty("status").GetString());
        Assert.NotEmpty(report.GetProperty("checks").EnumerateObject());
        foreach (var check in report.GetProperty("checks").EnumerateObject())
        {
            Assert.Equal("Healthy", check.Value.GetProperty("status").GetString());
            Assert.False(check.Value.TryGetProperty("description", out var description) && description.ValueKind != JsonValueKind.Null,
                $"check {check.Name} tells its description to anyone: {description}");
        }
    }

    /// <summary>The binding failures whose framework messages name the parameter's type or the request record.</summary>
    [Theory]
    [InlineData(BlogResources.UserService, "POST", "/api/account/register", """{"userName":42}""")]
    [InlineData(BlogResources.UserService, "POST", "/api/account/register", """{"roles":["admin"]}""")]
    [InlineData(BlogResources.UserService, "POST", "/api/account/register", """{"userName":"a","userName":"b"}""")]
    [InlineData(BlogResources.UserService, "POST", "/api/account/register", """["not an object"]""")]
    [InlineData(BlogResources.UserService, "POST", "/api/account/register", "")]
    [InlineData(PostServiceName, "GET", "/api/posts?page=abc", null)]
    [InlineData(PostServiceName, "GET", "/api/posts?pageSize=99999999999", null)]
    public async Task A_problem_never_names_a_dotnet_type(string service, string method, string path, string? json)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var client = fixture.CreateHttpClient(service);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = json is null ? null : BadInputHttp.RawBody(json) };

        using var response = await client.SendAsync(request, timeout.Token);

        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {text}");
        BadInputHttp.AssertNoTypeName(text);
    }
}
