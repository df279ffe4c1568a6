using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.PostService.Diagnostics;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.PostService;

/// <summary>The benchmark's bare Npgsql and Redis reads are not there unless a setting maps them (the application runs with defaults).</summary>
[Collection(BlogAppCollection.Name)]
public sealed class DiagnosticsEndpointTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task The_bare_database_read_answers_404_when_not_switched_on()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, ct);
        var created = await CreatePostAsync(posts, token, ct);
        var id = created.GetProperty("id").GetString();
        using var asAuthor = _identity.CreateClient(PostServiceName, token);
        using (var published = await asAuthor.PostAsync($"/api/posts/{id}/publish?version={created.GetProperty("version").GetUInt32()}", null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        // The post is there for anyone to read through the API...
        using (var read = await posts.GetAsync($"/api/posts/{id}", ct))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(id, (await read.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString());
        }

        // ...but not through the benchmark's path, which is not mapped by default.
        using var bare = await posts.GetAsync($"/api/ping/posts/{id}", ct);
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
    }

    [Fact]
    public async Task The_bare_redis_read_answers_404_when_not_switched_on()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var (_, token) = await NewAuthorAsync(_identity, ct);
        using var asAuthor = _identity.CreateClient(PostServiceName, token);
        using (var cached = await asAuthor.GetAsync("/api/ping/me", ct))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode); // the token's entry is now in Redis
        }

        using var posts = fixture.CreateHttpClient(PostServiceName);
        using var bare = new HttpRequestMessage(HttpMethod.Get, "/api/ping/redis") { Headers = { { RedisLimitApi.TokenHeader, $"Bearer {token}" } } };
        using var answer = await posts.SendAsync(bare, ct);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }
}
