using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.PostService;

/// <summary>What the post service's integration tests share: clients and accounts (the log watch is the test kit's ResourceLogWatcher).</summary>
internal static class PostServiceTestContext
{
    public const string PostServiceName = BlogResources.PostService;

    public static async Task<(TestUser User, string Token)> NewAuthorAsync(IdentityClient identity, CancellationToken cancellationToken)
    {
        var user = await identity.RegisterAsync(cancellationToken);
        return (user, await identity.GetAccessTokenAsync(user, cancellationToken));
    }

    public static async Task<JsonElement> CreatePostAsync(HttpClient posts, string token, CancellationToken cancellationToken, string title = "A title", string[]? tags = null)
    {
        using var request = IdentityClient.Authorized(HttpMethod.Post, "/api/posts", token, new { title, body = "Some *Markdown*.", tags = tags ?? ["dotnet"] });
        using var response = await posts.SendAsync(request, cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    public static string TokenId(string token) => PostServiceLogs.TokenId(token);

    public static string IntrospectionLine(string token) => PostServiceLogs.IntrospectionLine(token);
}
