using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.PostService.Authentication;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.PostService;

/// <summary>What the post service's integration tests share: clients, accounts and a watch on the service's logs.</summary>
internal static class PostServiceTestContext
{
    public const string PostServiceName = "postservice";

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

    public static string TokenId(string token) => TokenHash.Compute(token).TokenId;

    public static string IntrospectionLine(string token) => $"Introspecting token {TokenId(token)}";
}

/// <summary>
/// Collects a service's console output, every instance's (by instance id), so tests can count lines such as the
/// post service's "Introspecting token {TokenId}", written once per introspection sent, or scan them all.
/// </summary>
internal sealed class ResourceLogWatcher : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    private readonly string _resourceName;

    private ResourceLogWatcher(ResourceLoggerService logs, string resourceName, IReadOnlyList<string> instanceIds)
    {
        _resourceName = resourceName;
        _watching = Task.WhenAll(instanceIds.Select(id => WatchAsync(logs, id)));
    }

    public static async Task<ResourceLogWatcher> StartAsync(BlogAppFixture fixture, string resourceName)
    {
        var ids = await fixture.GetInstanceIdsAsync(resourceName);
        Assert.NotEmpty(ids);
        return new ResourceLogWatcher(fixture.App.Services.GetRequiredService<ResourceLoggerService>(), resourceName, ids);
    }

    /// <summary>Every line captured so far, of all instances.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public int Count(string text) => _lines.Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits (bounded) until <paramref name="text"/> appeared at least <paramref name="times"/> times.</summary>
    public async Task WaitForAsync(string text, int times, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (Count(text) < times)
        {
            try
            {
                await Task.Delay(50, cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{text}' appeared {Count(text)} times in the logs of {_resourceName}, expected {times}.");
            }
        }
    }

    private async Task WatchAsync(ResourceLoggerService logs, string instanceId)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(instanceId).WithCancellation(_stop.Token))
            {
                foreach (var line in batch)
                {
                    _lines.Enqueue(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}
