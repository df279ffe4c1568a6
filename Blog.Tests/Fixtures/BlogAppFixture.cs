using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Blog.Tests.Fixtures;

/// <summary>
/// One running AppHost for the whole test run, in local mode on a throw-away PostgreSQL cluster that is removed
/// afterwards. Every wait is bounded.
/// </summary>
public sealed class BlogAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The loopback address the services trust as a reverse proxy (ForwardedHeaders:KnownProxies): a test sending from
    /// it with X-Forwarded-For plays a proxy; every other sender's header is ignored, 127.0.0.1 (the tests, Aspire's proxy) included.
    /// </summary>
    public const string TrustedProxyAddress = "127.0.0.66";

    public static readonly string[] ResourceNames = ["postgres", "usersdb", "postsdb", "redis", "userservice", "postservice"];

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"blog-tests-{Guid.NewGuid():N}");
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The application has not started.");

    public string DataDirectory => _dataDirectory;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
            [
                "--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={_dataDirectory}",
                $"--ServiceSettings:userservice:ForwardedHeaders:KnownProxies:0={TrustedProxyAddress}",
                $"--ServiceSettings:postservice:ForwardedHeaders:KnownProxies:0={TrustedProxyAddress}",
                // A throttled source stays throttled for the rest of a test however slow the machine: longer than Development's.
                "--ServiceSettings:userservice:LoginThrottling:FirstDelay=00:00:30",
                "--ServiceSettings:userservice:LoginThrottling:MaxDelay=00:01:00",
            ],
            timeout.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Warning));

        WithoutTelemetryExport(builder);
        _app = await builder.BuildAsync(timeout.Token);
        // BLOG_TEST_TRACE=<file> appends every resource state change to that file: for diagnosing a slow start.
        if (Environment.GetEnvironmentVariable("BLOG_TEST_TRACE") is { } traceFile)
        {
            _ = Task.Run(async () =>
            {
                await foreach (var update in _app.ResourceNotifications.WatchAsync())
                {
                    await File.AppendAllTextAsync(traceFile, $"{DateTime.Now:HH:mm:ss.fff} {update.ResourceId} {update.Snapshot.State?.Text} {update.Snapshot.HealthStatus} {string.Join(';', update.Snapshot.HealthReports.Select(r => r.Name + "=" + r.Status + ":" + r.Description + r.ExceptionText))}\n");
                }
            });
        }
        await _app.StartAsync(timeout.Token);
        // Aspire's health of a replicated resource may already be Healthy while another replica still migrates:
        // wait until every instance answers Healthy itself.
        await this.WaitAllHealthyAsync(timeout.Token);
    }

    /// <summary>
    /// Tests run without the dashboard, yet Aspire still points the services' OTLP exporters at it: at every stop they
    /// would retry exporting to nobody for longer than a resource command waits. So the tests export nothing.
    /// </summary>
    public static void WithoutTelemetryExport(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }

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

    public HttpClient CreateHttpClient(string resourceName) => App.CreateHttpClient(resourceName, "http");

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

    /// <summary>One client per running instance of a service, each on that instance's own address (not the proxy).</summary>
    public async Task<IReadOnlyList<HttpClient>> CreateReplicaClientsAsync(string resourceName)
        => [.. (await GetInstanceSnapshotsAsync(resourceName))
            .Select(instance => instance.Value.EnvironmentVariables.FirstOrDefault(variable => variable.Name == "ASPNETCORE_URLS" && variable.IsFromSpec)?.Value)
            .OfType<string>()
            .Select(urls => new HttpClient { BaseAddress = new Uri(urls.Split(';')[0]), Timeout = DefaultTimeout })];

    /// <summary>
    /// An open connection to one of the application's databases ("postgres", "usersdb", "postsdb"). Not pooled: the
    /// fault tests restart PostgreSQL, which ends every pooled connection of this process, and a pool would hand a
    /// later test one of those ("57P01: terminating connection due to administrator command").
    /// </summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync(string resourceName, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await App.GetConnectionStringAsync(resourceName, cancellationToken)) { Pooling = false };
        var connection = new NpgsqlConnection(connectionString.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

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

    /// <summary>The latest snapshot of each instance of a resource, by instance id (ordinal order).</summary>
    private async Task<SortedDictionary<string, CustomResourceSnapshot>> GetInstanceSnapshotsAsync(string? resourceName)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var snapshots = new SortedDictionary<string, CustomResourceSnapshot>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in App.ResourceNotifications.WatchAsync(timeout.Token))
            {
                if (resourceName is null || update.Resource.Name == resourceName)
                {
                    snapshots[update.ResourceId] = update.Snapshot;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // WatchAsync replays the current states and then waits for changes: the timeout ends the replay.
        }

        return snapshots;
    }

    /// <summary>Runs a resource command ("stop", "start", "restart") on one instance and, unless stopping, waits healthy.</summary>
    public async Task ExecuteCommandAsync(string instanceId, string resourceName, string command, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var result = await App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(instanceId, command, cancellation.Token);
        Assert.True(result.Success, $"{command} {instanceId}: {result.Message}");
        if (command != KnownResourceCommands.StopCommand)
        {
            // Right after a restart the snapshot may still show the old process as finished, which
            // WaitForResourceHealthyAsync reports as "failed to start": look again until the new one is healthy.
            while (true)
            {
                try
                {
                    await WaitHealthyAsync(resourceName, cancellation.Token);
                    return;
                }
                catch (DistributedApplicationException) when (!cancellation.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), cancellation.Token);
                }
            }
        }
    }

    private async Task<string> DescribeStatesAsync()
        => string.Join(", ", (await GetInstanceSnapshotsAsync(resourceName: null))
            .Select(instance => $"{instance.Key}={instance.Value.State?.Text}/{instance.Value.HealthStatus}"));

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BlogAppCollection : ICollectionFixture<BlogAppFixture>
{
    public const string Name = "Blog application";
}
