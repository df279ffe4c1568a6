using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Blog.Tests.Fixtures;
using static Blog.Tests.PostService.PostServiceTestContext;

namespace Blog.Tests.Reliability;

/// <summary>The post service while the user service is stopped, and tokens across a restart of the user service.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class UserServiceOutageTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task With_the_user_service_stopped_cached_tokens_work_uncached_ones_get_503_and_no_write_is_lost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var replicas = await fixture.CreateReplicaClientsAsync(PostServiceName);
        var (user, cached) = await NewAuthorAsync(_identity, ct);
        var uncached = await _identity.GetAccessTokenAsync(user, ct);
        Assert.NotEqual(cached, uncached);
        var published = await CreatePostAsync(replicas[0], cached, ct);
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(replica, HttpMethod.Get, "/api/posts/mine", cached)).Status);
        }

        var acceptedTitle = $"accepted-{Guid.NewGuid():N}";
        var refusedTitle = $"refused-{Guid.NewGuid():N}";
        string? userService = null;
        Answer accepted;
        try
        {
            userService = await fixture.StopAsync(BlogResources.UserService);
            foreach (var replica in replicas)
            {
                Assert.Equal(HttpStatusCode.OK, (await SendAsync(replica, HttpMethod.Get, "/api/posts/mine", cached)).Status);
            }

            // A token nobody can check now is refused, a read and a write alike (at once: each waits for the introspection to give up);
            // writes with a cached token go on.
            var refusedRead = SendAsync(replicas[0], HttpMethod.Get, "/api/posts/mine", uncached);
            var refusedWrite = SendAsync(replicas[1], HttpMethod.Post, "/api/posts", uncached, new { title = refusedTitle, body = "Refused.", tags = Array.Empty<string>() });
            accepted = await SendAsync(replicas[1], HttpMethod.Post, "/api/posts", cached, new { title = acceptedTitle, body = "During the outage.", tags = Array.Empty<string>() });
            Assert.True(accepted.Status == HttpStatusCode.Created, accepted.Body);
            foreach (var refused in await Task.WhenAll(refusedRead, refusedWrite))
            {
                AssertServiceUnavailable(refused);
                Assert.True(refused.Elapsed < TimeSpan.FromSeconds(12), $"503 took {refused.Elapsed}");
            }

            // Reads degrade instead of failing: the post is served, its author's name may be missing.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(replicas[1], HttpMethod.Get, $"/api/posts/{published.GetProperty("id").GetString()}", cached)).Status);
        }
        finally
        {
            if (userService is not null)
            {
                await fixture.RestoreAsync(userService, BlogResources.UserService);
            }
        }

        // Recovered by itself: the token that was refused is checked and accepted now, and sees exactly what was stored.
        var mine = await SendAsync(replicas[0], HttpMethod.Get, "/api/posts/mine?pageSize=50", uncached);
        Assert.Equal(HttpStatusCode.OK, mine.Status);
        var titles = JsonDocument.Parse(mine.Body).RootElement.GetProperty("items").EnumerateArray()
            .Select(post => post.GetProperty("title").GetString()).ToList();
        Assert.Single(titles, title => title == acceptedTitle);
        Assert.DoesNotContain(refusedTitle, titles);
        var acceptedId = JsonDocument.Parse(accepted.Body).RootElement.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(replicas[1], HttpMethod.Get, $"/api/posts/{acceptedId}", uncached)).Status);
    }

    /// <summary>Keys come from configuration: a token issued before a restart of the user service is valid after it.</summary>
    [Fact]
    public async Task A_token_issued_before_a_user_service_restart_is_valid_after_it()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var user = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccessTokenAsync(user, timeout.Token);

        // Returns once the new process itself answers /health: the last snapshot before the restart said Healthy too.
        await fixture.RestartAsync(BlogResources.UserService);

        var introspected = await _identity.IntrospectAsync(token, timeout.Token);
        Assert.True(introspected.GetProperty("active").GetBoolean());
        Assert.Equal(user.Id, introspected.GetProperty("sub").GetString());
        // And the post service, which never saw this token, has the restarted user service check it.
        var posts = (await fixture.CreateReplicaClientsAsync(PostServiceName))[0];
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(posts, HttpMethod.Get, "/api/posts/mine", token)).Status);
    }

    private sealed record Answer(HttpStatusCode Status, string? MediaType, bool HasRetryAfter, string Body, TimeSpan Elapsed);

    /// <summary>One request, bounded by <see cref="RequestTimeout"/>: while a service behind Aspire's proxy is stopped, calls to it hang.</summary>
    private static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string uri, string token, object? json = null)
    {
        using var requestTimeout = new CancellationTokenSource(RequestTimeout);
        var started = Stopwatch.StartNew();
        using var response = await client.SendAsync(IdentityClient.Authorized(method, uri, token, json), requestTimeout.Token);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null,
            await response.Content.ReadAsStringAsync(requestTimeout.Token), started.Elapsed);
    }

    private static void AssertServiceUnavailable(Answer answer)
    {
        Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"{(int)answer.Status} {answer.Body}");
        Assert.True(answer.HasRetryAfter);
        Assert.Equal("application/problem+json", answer.MediaType);
    }
}
