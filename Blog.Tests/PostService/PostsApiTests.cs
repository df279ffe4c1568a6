using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.PostService;

/// <summary>The posts API through the running AppHost, with tokens from the user service's password grant.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostsApiTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task An_author_creates_edits_publishes_and_deletes_a_post()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (author, token) = await NewAuthorAsync(_identity, ct);
        using var asAuthor = _identity.CreateClient(PostServiceName, token);

        var created = await CreatePostAsync(posts, token, ct, title: "First draft", tags: ["Aspire", "dotnet"]);
        var id = created.GetProperty("id").GetString();
        Assert.Equal("draft", created.GetProperty("status").GetString());
        Assert.Equal(author.Id, created.GetProperty("authorId").GetString());
        Assert.Equal(["aspire", "dotnet"], created.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
        var version = created.GetProperty("version").GetUInt32();

        using (var updated = await asAuthor.PutAsJsonAsync($"/api/posts/{id}", new { title = "Edited", body = "New body", tags = new[] { "dotnet" }, version }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            var body = await updated.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal("Edited", body.GetProperty("title").GetString());
            Assert.NotEqual(version, body.GetProperty("version").GetUInt32());
            // The version read before the edit is stale now: a second writer with it conflicts.
            using var conflict = await asAuthor.PutAsJsonAsync($"/api/posts/{id}", new { title = "Lost", body = "Lost", version }, ct);
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
            version = body.GetProperty("version").GetUInt32();
        }

        using (var publish = new HttpRequestMessage(HttpMethod.Post, $"/api/posts/{id}/publish"))
        {
            publish.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{version}\""));
            using var published = await asAuthor.SendAsync(publish, ct);
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
            var body = await published.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal("published", body.GetProperty("status").GetString());
            Assert.NotEqual(JsonValueKind.Null, body.GetProperty("publishedAt").ValueKind);
            version = body.GetProperty("version").GetUInt32();

            // The times a write answers with are the ones stored: every later read returns them unchanged.
            var read = await posts.GetFromJsonAsync<JsonElement>($"/api/posts/{id}", ct);
            foreach (var time in new[] { "createdAt", "updatedAt", "publishedAt" })
            {
                Assert.Equal(body.GetProperty(time).GetString(), read.GetProperty(time).GetString());
            }
        }

        var list = await posts.GetFromJsonAsync<JsonElement>($"/api/posts?author={author.Id}&tag=dotnet", ct);
        var listed = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(listed.GetProperty("authorName").GetString()), "the author's display name comes from the user service");

        using (var deleted = await asAuthor.DeleteAsync($"/api/posts/{id}?version={version}", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var gone = await posts.GetAsync($"/api/posts/{id}", ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Drafts_are_visible_to_their_author_and_admins_only()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (author, authorToken) = await NewAuthorAsync(_identity, ct);
        var (_, otherToken) = await NewAuthorAsync(_identity, ct);
        var adminToken = await _identity.GetAccessTokenAsync(await _identity.GetAdminAsync(), ct);
        var id = (await CreatePostAsync(posts, authorToken, ct)).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(posts, HttpMethod.Get, $"/api/posts/{id}", token: null, ct));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(posts, HttpMethod.Get, $"/api/posts/{id}", otherToken, ct));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(posts, HttpMethod.Get, $"/api/posts/{id}", authorToken, ct));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(posts, HttpMethod.Get, $"/api/posts/{id}", adminToken, ct));

        var published = await posts.GetFromJsonAsync<JsonElement>($"/api/posts?author={author.Id}", ct);
        Assert.Empty(published.GetProperty("items").EnumerateArray());

        using var asAuthor = _identity.CreateClient(PostServiceName, authorToken);
        using var mineResponse = await asAuthor.GetAsync("/api/posts/mine", ct);
        var myPosts = await mineResponse.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains(myPosts.GetProperty("items").EnumerateArray(), post => post.GetProperty("id").GetString() == id);

        using var asOther = _identity.CreateClient(PostServiceName, otherToken);
        using var theirsResponse = await asOther.GetAsync("/api/posts/mine", ct);
        var theirPosts = await theirsResponse.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.DoesNotContain(theirPosts.GetProperty("items").EnumerateArray(), post => post.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Someone_else_cannot_change_a_post_but_an_admin_can()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, authorToken) = await NewAuthorAsync(_identity, ct);
        var (_, otherToken) = await NewAuthorAsync(_identity, ct);
        var adminToken = await _identity.GetAccessTokenAsync(await _identity.GetAdminAsync(), ct);
        var created = await CreatePostAsync(posts, authorToken, ct);
        var id = created.GetProperty("id").GetString();
        var version = created.GetProperty("version").GetUInt32();
        using var asAuthor = _identity.CreateClient(PostServiceName, authorToken);
        using var asOther = _identity.CreateClient(PostServiceName, otherToken);
        using var asAdmin = _identity.CreateClient(PostServiceName, adminToken);
        using (var published = await asAuthor.PostAsync($"/api/posts/{id}/publish?version={version}", content: null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
            version = (await published.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("version").GetUInt32();
        }

        using (var forbidden = await asOther.PutAsJsonAsync($"/api/posts/{id}", new { title = "Hijacked", body = "x", version }, ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(posts, HttpMethod.Delete, $"/api/posts/{id}?version={version}", otherToken, ct));

        using (var moderated = await asAdmin.PutAsJsonAsync($"/api/posts/{id}", new { title = "Moderated", body = "x", version }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, moderated.StatusCode);
            version = (await moderated.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("version").GetUInt32();
        }

        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(posts, HttpMethod.Delete, $"/api/posts/{id}?version={version}", adminToken, ct));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(posts, HttpMethod.Delete, $"/api/posts/{id}?version={version}", adminToken, ct));
    }

    [Fact]
    public async Task Writing_needs_a_token_and_valid_content_and_reading_bounds_the_page_size()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, ct);
        using var asAuthor = _identity.CreateClient(PostServiceName, token);

        using (var anonymous = await posts.PostAsJsonAsync("/api/posts", new { title = "t", body = "b" }, ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.StartsWith("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        }

        using (var rejected = await asAuthor.PostAsJsonAsync("/api/posts", new { title = "", body = "b", tags = new[] { "not a tag!" } }, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
            var problem = await rejected.Content.ReadFromJsonAsync<JsonElement>(ct);
            var errors = problem.GetProperty("errors");
            Assert.True(errors.TryGetProperty("title", out _));
            Assert.True(errors.TryGetProperty("tags", out _));
            Assert.False(errors.TryGetProperty("body", out _));
        }

        using (var rejected = await asAuthor.PostAsync($"/api/posts/{Guid.NewGuid()}/publish", content: null, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(posts, HttpMethod.Get, "/api/posts?pageSize=51", token: null, ct));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(posts, HttpMethod.Get, "/api/posts?page=0", token: null, ct));
        var page = await posts.GetFromJsonAsync<JsonElement>("/api/posts?pageSize=50", ct);
        var publishedAt = page.GetProperty("items").EnumerateArray().Select(post => post.GetProperty("publishedAt").GetDateTimeOffset()).ToList();
        Assert.Equal(publishedAt.OrderDescending(), publishedAt);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, HttpMethod method, string uri, string? token, CancellationToken cancellationToken)
    {
        using var request = token is null ? new HttpRequestMessage(method, uri) : IdentityClient.Authorized(method, uri, token);
        using var response = await client.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }
}
