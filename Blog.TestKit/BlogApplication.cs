using Microsoft.Extensions.DependencyInjection;

namespace Blog.TestKit;

/// <summary>
/// Blog started through its own AppHost in local mode (PostgreSQL and Redis as local processes) on a throw-away data
/// directory that is removed afterwards, and what the tests and the benchmark ask of the running application: clients,
/// instances and their own addresses, environments, parameters, health. Every wait is bounded.
/// </summary>
public class BlogApplication : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private DistributedApplication? _app;

    protected BlogApplication(string dataDirectoryPrefix)
        => DataDirectory = Path.Combine(Path.GetTempPath(), $"{dataDirectoryPrefix}-{Guid.NewGuid():N}");

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The application has not started.");

    public string DataDirectory { get; }

    /// <summary>The AppHost's builder in local mode on <see cref="DataDirectory"/>, plus <paramref name="settings"/> ("--Key=value").</summary>
    protected async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(IEnumerable<string> settings, CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={DataDirectory}", .. settings],
            cancellationToken);
        return builder;
    }

    /// <summary>
    /// Builds the application, its projects (those added since included) exporting no telemetry; <see cref="App"/> is
    /// it from now on (and is disposed with this).
    /// </summary>
    protected async Task<DistributedApplication> BuildAsync(IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken)
    {
        WithoutTelemetryExport(builder);
        return _app = await builder.BuildAsync(cancellationToken);
    }

    /// <summary>Whether <see cref="BuildAsync"/> ran.</summary>
    protected bool IsBuilt => _app is not null;

    /// <summary>
    /// Tests run without the dashboard, yet Aspire still points the services' OTLP exporters at it: at every stop they
    /// would retry exporting to nobody for longer than a resource command waits. So nothing is exported (the services
    /// still record their telemetry).
    /// </summary>
    public static void WithoutTelemetryExport(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }

    public HttpClient CreateHttpClient(string resourceName) => App.CreateHttpClient(resourceName, "http");

    public async Task WaitHealthyAsync(string resourceName, CancellationToken cancellationToken)
    {
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resourceName, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Resource '{resourceName}' did not become healthy in time. States: {await DescribeStatesAsync()}");
        }
    }

    /// <summary>The environment a running resource was started with (its first replica's).</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetEnvironmentAsync(string resourceName)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        var update = await App.ResourceNotifications.WaitForResourceAsync(
            resourceName, update => update.Snapshot.EnvironmentVariables.Any(variable => variable.IsFromSpec), timeout.Token);
        return update.Snapshot.EnvironmentVariables
            .Where(variable => variable.IsFromSpec)
            .ToDictionary(variable => variable.Name, variable => variable.Value ?? "");
    }

    /// <summary>A service instance's own address (not the proxy's): its first ASPNETCORE_URLS entry.</summary>
    public async Task<Uri> GetDirectAddressAsync(string resourceName)
    {
        var environment = await GetEnvironmentAsync(resourceName);
        return new Uri(environment["ASPNETCORE_URLS"].Split(';')[0]);
    }

    /// <summary>Every running instance's own address of a service (not the proxy), in instance id order.</summary>
    public async Task<IReadOnlyList<Uri>> GetReplicaAddressesAsync(string resourceName, CancellationToken cancellationToken = default)
        => [.. (await GetInstanceSnapshotsAsync(resourceName, cancellationToken))
            .Select(instance => instance.Value.EnvironmentVariables.FirstOrDefault(variable => variable.Name == "ASPNETCORE_URLS" && variable.IsFromSpec)?.Value)
            .OfType<string>()
            .Select(urls => new Uri(urls.Split(';')[0]))];

    /// <summary>One client per running instance of a service, each on that instance's own address (not the proxy).</summary>
    public async Task<IReadOnlyList<HttpClient>> CreateReplicaClientsAsync(string resourceName)
        => [.. (await GetReplicaAddressesAsync(resourceName)).Select(address => new HttpClient { BaseAddress = address, Timeout = DefaultTimeout })];

    /// <summary>The value the AppHost resolved for a parameter (generated secrets included).</summary>
    public async Task<string> GetParameterValueAsync(string name)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>()
            .Single(resource => resource.Name == name);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        return await parameter.GetValueAsync(timeout.Token) ?? throw new InvalidOperationException($"parameter {name} has no value");
    }

    /// <summary>The ids of a resource's running instances (one per replica), e.g. "postservice-abcdefgh".</summary>
    public async Task<IReadOnlyList<string>> GetInstanceIdsAsync(string resourceName)
        => [.. (await GetInstanceSnapshotsAsync(resourceName)).Keys];

    /// <summary>The latest snapshot of each instance of a resource (of every resource when null), by instance id (ordinal order).</summary>
    public async Task<SortedDictionary<string, CustomResourceSnapshot>> GetInstanceSnapshotsAsync(string? resourceName, CancellationToken cancellationToken = default)
    {
        using var replay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        replay.CancelAfter(TimeSpan.FromSeconds(2));
        var snapshots = new SortedDictionary<string, CustomResourceSnapshot>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in App.ResourceNotifications.WatchAsync(replay.Token))
            {
                if (resourceName is null || update.Resource.Name == resourceName)
                {
                    snapshots[update.ResourceId] = update.Snapshot;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // WatchAsync replays the current states and then waits for changes: the timeout ends the replay.
        }

        return snapshots;
    }

    public async Task<string> DescribeStatesAsync()
        => string.Join(", ", (await GetInstanceSnapshotsAsync(resourceName: null))
            .Select(instance => $"{instance.Key}={instance.Value.State?.Text}/{instance.Value.HealthStatus}"));

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
