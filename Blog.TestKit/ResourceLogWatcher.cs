using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.TestKit;

/// <summary>
/// Collects a service's console output, every instance's (or the chosen ones'), so tests can count lines such as the
/// post service's "Introspecting token {TokenId}" (<see cref="PostServiceLogs"/>), written once per introspection sent,
/// or scan them all. With a filter, only the lines it keeps are held (the benchmark's long runs).
/// </summary>
public sealed class ResourceLogWatcher : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;
    private readonly string _resourceName;
    private readonly Func<string, bool> _keep;

    private ResourceLogWatcher(ResourceLoggerService logs, string resourceName, IReadOnlyList<string> instanceIds, Func<string, bool>? keep)
    {
        _resourceName = resourceName;
        _keep = keep ?? (_ => true);
        _watching = Task.WhenAll(instanceIds.Select(id => WatchAsync(logs, id)));
    }

    /// <summary>Watches every running instance of <paramref name="resourceName"/>.</summary>
    public static async Task<ResourceLogWatcher> StartAsync(BlogApplication application, string resourceName, Func<string, bool>? keep = null)
    {
        var ids = await application.GetInstanceIdsAsync(resourceName);
        Assert.NotEmpty(ids);
        return new ResourceLogWatcher(application.App.Services.GetRequiredService<ResourceLoggerService>(), resourceName, ids, keep);
    }

    /// <summary>Watches one instance (by its id) only.</summary>
    public static ResourceLogWatcher StartForInstance(BlogApplication application, string instanceId, Func<string, bool>? keep = null)
        => new(application.App.Services.GetRequiredService<ResourceLoggerService>(), instanceId, [instanceId], keep);

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
                foreach (var line in batch.Where(line => _keep(line.Content)))
                {
                    _lines.Enqueue(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}
