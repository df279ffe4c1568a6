using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Docs;

/// <summary>
/// Each service's OpenAPI document, fetched through the running AppHost: every endpoint is in it with a summary and the
/// security requirement its authorization metadata gives; the post service's scheme logs in at the user service; the
/// request files cover every operation; the dashboard links the API reference pages.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class OpenApiDocumentTests(BlogAppFixture fixture)
{
    /// <summary>null: anonymous; otherwise the scopes the oauth2 requirement lists.</summary>
    public static readonly Dictionary<string, string[]?> UserServiceOperations = new()
    {
        ["POST /api/account/register"] = null,
        ["GET /api/account/me"] = ["account"],
        ["POST /api/account/password"] = ["account"],
        ["POST /api/account/logout-all"] = ["account"],
        ["GET /api/account/consents"] = ["account"],
        ["DELETE /api/account/consents/{id}"] = ["account"],
        ["GET /api/admin/users"] = ["account"],
        ["GET /api/admin/users/{id}"] = ["account"],
        ["PUT /api/admin/users/{id}/roles"] = ["account"],
        ["POST /api/admin/users/{id}/lock"] = ["account"],
        ["POST /api/admin/users/{id}/unlock"] = ["account"],
        ["DELETE /api/admin/users/{id}"] = ["account"],
        ["GET /api/users/{id}"] = ["users.read"],
        ["POST /api/users/lookup"] = ["users.read"],
        // Served by OpenIddict (not minimal-API endpoints); the client authenticates in the form, not with a token.
        ["POST /connect/token"] = null,
        ["POST /connect/revoke"] = null,
        ["POST /connect/introspect"] = null,
        ["GET /.well-known/openid-configuration"] = null,
        ["GET /.well-known/jwks"] = null,
    };

    public static readonly Dictionary<string, string[]?> PostServiceOperations = new()
    {
        ["GET /api/posts"] = null,
        ["GET /api/posts/mine"] = ["posts"],
        ["GET /api/posts/{id}"] = null,
        ["POST /api/posts"] = ["posts"],
        ["PUT /api/posts/{id}"] = ["posts"],
        ["POST /api/posts/{id}/publish"] = ["posts"],
        ["DELETE /api/posts/{id}"] = ["posts"],
        ["GET /api/ping"] = null,
        ["GET /api/ping/me"] = ["posts"],
    };

    public static TheoryData<string> Services => [BlogResources.UserService, BlogResources.PostService];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_endpoint_is_documented_with_its_security_requirement(string service)
    {
        var expected = service == BlogResources.UserService ? UserServiceOperations : PostServiceOperations;
        var document = await GetDocumentAsync(service);
        var operations = Operations(document);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), operations.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("summary", out var summary) ? summary.GetString() : null), $"{service} {key} has no summary");
            Assert.True(operation.TryGetProperty("responses", out var responses) && responses.EnumerateObject().Any(), $"{service} {key} has no responses");

            var scopes = SecurityScopes(operation);
            if (expected[key] is { } expectedScopes)
            {
                Assert.True(scopes is not null, $"{service} {key} should require the oauth2 scheme");
                Assert.Equal(expectedScopes.Order(StringComparer.Ordinal), scopes!.Order(StringComparer.Ordinal));
                foreach (var status in new[] { "401", "403" })
                {
                    Assert.True(responses.TryGetProperty(status, out var response), $"{service} {key} does not describe {status}");
                    Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{service} {key}: {status} is not ProblemDetails");
                }
            }
            else
            {
                Assert.True(scopes is null, $"{service} {key} should be anonymous, but requires [{string.Join(' ', scopes ?? [])}]");
            }
        }
    }

    [Fact]
    public async Task The_post_service_document_logs_in_with_the_password_flow_at_the_user_service()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var document = await GetDocumentAsync(BlogResources.PostService);
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2");
        Assert.Equal("oauth2", scheme.GetProperty("type").GetString());
        var password = scheme.GetProperty("flows").GetProperty("password");
        Assert.True(password.GetProperty("scopes").TryGetProperty("posts", out _));
        var tokenUrl = new Uri(password.GetProperty("tokenUrl").GetString()!);

        // The token URL is the user service's as the AppHost publishes it: a password grant there gives a token the post
        // service accepts, which is what the API reference page does when a person logs in.
        var identity = new IdentityClient(fixture);
        var user = await identity.RegisterAsync(timeout.Token);
        using var tokenClient = new HttpClient { Timeout = BlogAppFixture.DefaultTimeout };
        using var tokenResponse = await tokenClient.PostAsync(tokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "blog-client",
            ["username"] = user.UserName,
            ["password"] = user.Password,
            ["scope"] = IdentityClient.PeopleScopes,
        }), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("access_token").GetString()!;

        using var posts = fixture.CreateHttpClient(BlogResources.PostService);
        using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token);
        using var mine = await posts.SendAsync(request, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);

        // The page runs on the post service's origin: the user service allows it (CORS, Development only).
        var origin = posts.BaseAddress!.GetLeftPart(UriPartial.Authority);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, tokenUrl);
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var allowed = await tokenClient.SendAsync(preflight, timeout.Token);
        Assert.True(allowed.Headers.TryGetValues("Access-Control-Allow-Origin", out var origins), $"preflight: {(int)allowed.StatusCode}");
        Assert.Equal(origin, Assert.Single(origins));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task The_interactive_reference_is_served_and_linked_from_the_dashboard(string service)
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        using var client = fixture.CreateHttpClient(service);
        using var page = await client.GetAsync("/scalar/v1", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        var update = await fixture.App.ResourceNotifications.WaitForResourceAsync(service,
            update => update.Snapshot.Urls.Any(url => url.DisplayProperties.DisplayName == "API reference"), timeout.Token);
        var link = update.Snapshot.Urls.First(url => url.DisplayProperties.DisplayName == "API reference");
        Assert.EndsWith("/scalar/v1", link.Url, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task The_request_files_call_every_operation(string service)
    {
        var variable = service == BlogResources.UserService ? "users" : "posts";
        var requested = RequestFiles.ReadRequests()
            .Where(request => request.BaseVariable == variable)
            .Select(request => request.Key)
            .ToHashSet(StringComparer.Ordinal);
        var missing = Operations(await GetDocumentAsync(service)).Keys
            .Select(key => NormalizeTemplate(key))
            .Where(key => !requested.Contains(key))
            .ToList();
        Assert.True(missing.Count == 0, $"not in http/*.http ({{{{{variable}}}}}): {string.Join(", ", missing)}");
    }

    private Task<JsonElement> GetDocumentAsync(string service) => OpenApiDocuments.GetAsync(fixture, service);

    private static Dictionary<string, JsonElement> Operations(JsonElement document) => OpenApiDocuments.Operations(document);

    /// <summary>The scopes of the operation's oauth2 requirement, or null when it has none.</summary>
    private static List<string>? SecurityScopes(JsonElement operation)
    {
        if (!operation.TryGetProperty("security", out var security))
        {
            return null;
        }

        foreach (var requirement in security.EnumerateArray())
        {
            if (requirement.TryGetProperty("oauth2", out var scopes))
            {
                return [.. scopes.EnumerateArray().Select(scope => scope.GetString()!)];
            }
        }

        return null;
    }

    /// <summary>"GET /api/posts/{id}" and "GET /api/posts/{{postId}}" both become "GET /api/posts/{}"; a trailing slash is dropped.</summary>
    internal static string NormalizeTemplate(string key)
    {
        var normalized = TemplateSegment().Replace(key, "{}");
        return normalized.Length > 1 && normalized.EndsWith('/') ? normalized[..^1] : normalized;
    }

    [GeneratedRegex(@"\{\{?[^/}]+\}?\}")]
    private static partial Regex TemplateSegment();
}
