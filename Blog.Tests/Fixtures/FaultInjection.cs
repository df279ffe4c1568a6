using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Blog.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Fixtures;

/// <summary>
/// Stopping and starting resources of the shared AppHost, and putting the application back whole afterwards: every
/// fault test restores in a finally, so that the tests after it find every resource healthy.
/// </summary>
public static class FaultInjection
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private static readonly string[] ServiceNames = [BlogResources.UserService, BlogResources.PostService];
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(5) };

    // Instance ids and addresses do not change across stop, start and restart: looked up once per running application
    // (each lookup replays the resource states for a while), so that each fault costs its own time only.
    private static readonly ConditionalWeakTable<BlogAppFixture, ConcurrentDictionary<string, Task<IReadOnlyList<string>>>> InstanceIds = new();
    private static readonly ConditionalWeakTable<BlogAppFixture, Task<IReadOnlyList<Uri>>> ServiceAddresses = new();

    /// <summary>Stops the single instance of <paramref name="resourceName"/> and returns its id (for <see cref="RestoreAsync"/>).</summary>
    public static async Task<string> StopAsync(this BlogAppFixture fixture, string resourceName)
    {
        var instance = await PrepareAsync(fixture, resourceName);
        await fixture.ExecuteCommandAsync(instance, resourceName, KnownResourceCommands.StopCommand, CommandTimeout);
        return instance;
    }

    /// <summary>Restarts the single instance of <paramref name="resourceName"/>; returns once the whole application is healthy again.</summary>
    public static async Task RestartAsync(this BlogAppFixture fixture, string resourceName)
    {
        var instance = await PrepareAsync(fixture, resourceName);
        try
        {
            await fixture.ExecuteCommandAsync(instance, resourceName, KnownResourceCommands.RestartCommand, CommandTimeout);
        }
        finally
        {
            await fixture.RestoreIfStoppedAsync(instance, resourceName);
        }
    }

    /// <summary>The id of the single instance of <paramref name="resourceName"/>, for a command the test runs itself.</summary>
    public static Task<string> GetSingleInstanceIdAsync(this BlogAppFixture fixture, string resourceName) => PrepareAsync(fixture, resourceName);

    /// <summary>
    /// Runs a resource command and returns as soon as it is done, without waiting for health: for a test that looks at
    /// the service while it is still starting. The test restores with <see cref="WaitAllHealthyAsync(BlogAppFixture)"/>.
    /// </summary>
    public static async Task ExecuteCommandWithoutWaitingAsync(this BlogAppFixture fixture, string instanceId, string command, CancellationToken cancellationToken)
    {
        var result = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(instanceId, command, cancellationToken);
        Assert.True(result.Success, $"{command} {instanceId}: {result.Message}");
    }

    /// <summary>The instance's id, and the services' addresses looked up while all still runs.</summary>
    private static async Task<string> PrepareAsync(BlogAppFixture fixture, string resourceName)
    {
        await ServiceAddresses.GetValue(fixture, LookUpServiceAddressesAsync);
        return Assert.Single(await InstanceIds.GetValue(fixture, _ => new())
            .GetOrAdd(resourceName, name => fixture.GetInstanceIdsAsync(name)));
    }

    /// <summary>
    /// Starts the resource again; if that fails (e.g. a stop that timed out left the process running), restarts it.
    /// Then waits until the whole application is healthy.
    /// </summary>
    public static async Task RestoreAsync(this BlogAppFixture fixture, string instanceId, string resourceName)
    {
        try
        {
            await fixture.ExecuteCommandAsync(instanceId, resourceName, KnownResourceCommands.StartCommand, CommandTimeout);
        }
        catch (Exception)
        {
            await fixture.ExecuteCommandAsync(instanceId, resourceName, KnownResourceCommands.RestartCommand, CommandTimeout);
        }

        await fixture.WaitAllHealthyAsync();
    }

    /// <summary>After a restart (which may have failed half-way): starts the instance if it is not running, then waits until all is healthy.</summary>
    private static async Task RestoreIfStoppedAsync(this BlogAppFixture fixture, string instanceId, string resourceName)
    {
        if (fixture.App.ResourceNotifications.TryGetCurrentState(instanceId, out var current)
            && current.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            await fixture.RestoreAsync(instanceId, resourceName);
            return;
        }

        await fixture.WaitAllHealthyAsync();
    }

    /// <summary>
    /// Every resource healthy as Aspire sees it, and every service instance answering its own /health with Healthy:
    /// Aspire's snapshot may be a few seconds old, the service's answer is not.
    /// </summary>
    public static async Task WaitAllHealthyAsync(this BlogAppFixture fixture)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await fixture.WaitAllHealthyAsync(timeout.Token);
    }

    public static async Task WaitAllHealthyAsync(this BlogAppFixture fixture, CancellationToken cancellationToken)
    {
        foreach (var name in BlogAppFixture.ResourceNames)
        {
            await fixture.WaitHealthyAsync(name, cancellationToken);
        }

        foreach (var address in await ServiceAddresses.GetValue(fixture, LookUpServiceAddressesAsync))
        {
            await WaitUntilAsync(async () => (await ReadHealthAsync(HealthClient, address, cancellationToken))?.Status == "Healthy",
                $"the service at {address} reports Healthy", cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<Uri>> LookUpServiceAddressesAsync(BlogAppFixture fixture)
    {
        var addresses = new List<Uri>();
        foreach (var service in ServiceNames)
        {
            foreach (var instance in await fixture.CreateReplicaClientsAsync(service))
            {
                addresses.Add(instance.BaseAddress!);
                instance.Dispose();
            }
        }

        return addresses;
    }

    /// <summary>A service instance's own health report, or null while it does not answer.</summary>
    private static async Task<HealthReportResponse?> ReadHealthAsync(HttpClient client, Uri instance, CancellationToken cancellationToken)
    {
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(5));
            // /health answers 503 with the same body while a check fails: read it whatever the status.
            using var response = await client.GetAsync(new Uri(instance, "/health"), attempt.Token);
            return await response.Content.ReadFromJsonAsync<HealthReportResponse>(HealthReportJson.Options, attempt.Token);
        }
        catch (Exception exception) when (exception is HttpRequestException or System.Text.Json.JsonException
                                          || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; a cancelled token fails with <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        try
        {
            while (!await condition())
            {
                await Task.Delay(100, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out waiting until {what}.");
        }
    }
}
