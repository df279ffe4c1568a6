using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.PostService;

/// <summary>
/// The post service while the user service or Redis is stopped. Every test restores what it stopped and waits for the
/// whole application to be healthy again (in a finally): all tests share one running AppHost.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostServiceFaultTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task With_the_user_service_stopped_an_uncached_token_gets_503_and_a_cached_one_still_works()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (user, cached) = await NewAuthorAsync(_identity, ct);
        var uncached = await _identity.GetAccessTokenAsync(user, ct);
        Assert.NotEqual(cached, uncached);
        var published = await CreatePostAsync(posts, cached, ct);
        Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, cached));

        var userService = (await fixture.GetInstanceIdsAsync("userservice")).Single();
        try
        {
            await fixture.ExecuteCommandAsync(userService, "userservice", KnownResourceCommands.StopCommand, CommandTimeout);
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, cached));

            using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", uncached);
            using var requestTimeout = new CancellationTokenSource(RequestTimeout);
            var started = DateTime.UtcNow;
            using var response = await posts.SendAsync(request, requestTimeout.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12), $"503 took {DateTime.UtcNow - started}");
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

            // Reads degrade instead of failing: the post is served, its author's name may be missing.
            using var readTimeout = new CancellationTokenSource(RequestTimeout);
            using var read = IdentityClient.Authorized(HttpMethod.Get, $"/api/posts/{published.GetProperty("id").GetString()}", cached);
            using var readResponse = await posts.SendAsync(read, readTimeout.Token);
            Assert.Equal(HttpStatusCode.OK, readResponse.StatusCode);
        }
        finally
        {
            await RestoreAsync(userService, "userservice");
        }

        Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, uncached));
    }

    [Fact]
    public async Task With_redis_stopped_requests_are_still_served_through_introspection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        using var posts = fixture.CreateHttpClient(PostServiceName);
        var (_, token) = await NewAuthorAsync(_identity, ct);
        var (_, other) = await NewAuthorAsync(_identity, ct);

        var redis = (await fixture.GetInstanceIdsAsync("redis")).Single();
        try
        {
            await fixture.ExecuteCommandAsync(redis, "redis", KnownResourceCommands.StopCommand, CommandTimeout);
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, token));
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, token));
            Assert.Equal(HttpStatusCode.OK, await GetMineAsync(posts, other));
            using var listTimeout = new CancellationTokenSource(RequestTimeout);
            var list = await posts.GetFromJsonAsync<JsonElement>("/api/posts", listTimeout.Token);
            Assert.Equal(JsonValueKind.Array, list.GetProperty("items").ValueKind);
        }
        finally
        {
            await RestoreAsync(redis, "redis");
        }
    }

    private static async Task<HttpStatusCode> GetMineAsync(HttpClient posts, string token)
    {
        using var request = IdentityClient.Authorized(HttpMethod.Get, "/api/posts/mine", token);
        using var requestTimeout = new CancellationTokenSource(RequestTimeout);
        using var response = await posts.SendAsync(request, requestTimeout.Token);
        return response.StatusCode;
    }

    /// <summary>
    /// Starts the resource again; if that fails (e.g. a stop that timed out left the process running), restarts it.
    /// Then waits until every resource is healthy, so the next test finds the application whole.
    /// </summary>
    private async Task RestoreAsync(string instanceId, string resourceName)
    {
        try
        {
            await fixture.ExecuteCommandAsync(instanceId, resourceName, KnownResourceCommands.StartCommand, CommandTimeout);
        }
        catch (Exception)
        {
            await fixture.ExecuteCommandAsync(instanceId, resourceName, KnownResourceCommands.RestartCommand, CommandTimeout);
        }

        await WaitAllHealthyAsync();
    }

    private async Task WaitAllHealthyAsync()
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        foreach (var name in BlogAppFixture.ResourceNames)
        {
            await fixture.WaitHealthyAsync(name, timeout.Token);
        }
    }
}
