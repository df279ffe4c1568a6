using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace Blog.Tests.Fixtures;

/// <summary>
/// One running AppHost for the whole test run, in local mode on a throw-away data directory (see
/// <see cref="BlogApplication"/>). Every wait is bounded.
/// </summary>
public sealed class BlogAppFixture() : BlogApplication("blog-tests"), IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The loopback address the services trust as a reverse proxy (ForwardedHeaders:KnownProxies): a test sending from
    /// it with X-Forwarded-For plays a proxy; every other sender's header is ignored, 127.0.0.1 (the tests, Aspire's proxy) included.
    /// </summary>
    public const string TrustedProxyAddress = "127.0.0.66";

    public static readonly string[] ResourceNames = BlogResources.All;

    /// <summary>When every instance first answered Healthy: the end of the clean start.</summary>
    public DateTime ReadyAtUtc { get; private set; }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await CreateBuilderAsync(
            [
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

        var app = await BuildAsync(builder, timeout.Token);
        // BLOG_TEST_TRACE=<file> appends every resource state change to that file: for diagnosing a slow start.
        if (Environment.GetEnvironmentVariable("BLOG_TEST_TRACE") is { } traceFile)
        {
            _ = Task.Run(async () =>
            {
                await foreach (var update in app.ResourceNotifications.WatchAsync())
                {
                    await File.AppendAllTextAsync(traceFile, $"{DateTime.Now:HH:mm:ss.fff} {update.ResourceId} {update.Snapshot.State?.Text} {update.Snapshot.HealthStatus} {string.Join(';', update.Snapshot.HealthReports.Select(r => r.Name + "=" + r.Status + ":" + r.Description + r.ExceptionText))}\n");
                }
            });
        }
        await app.StartAsync(timeout.Token);
        // Aspire's health of a replicated resource may already be Healthy while another replica still migrates:
        // wait until every instance answers Healthy itself.
        await this.WaitAllHealthyAsync(timeout.Token);
        ReadyAtUtc = DateTime.UtcNow;
    }

    /// <summary>The application's Redis, as its administrator (every key and channel).</summary>
    public async Task<string> RedisConnectionStringAsync(CancellationToken cancellationToken = default)
        => await App.GetConnectionStringAsync(BlogResources.Redis, cancellationToken) ?? throw new InvalidOperationException("no redis connection string");

    /// <summary>A connection of the test's own to the application's Redis, as its administrator.</summary>
    public async Task<ConnectionMultiplexer> ConnectRedisAsync(CancellationToken cancellationToken = default)
        => await ConnectionMultiplexer.ConnectAsync(await RedisConnectionStringAsync(cancellationToken));

    /// <summary>The connection string of one of the application's databases, unpooled (see <see cref="OpenDatabaseAsync"/>).</summary>
    public async Task<string> UnpooledConnectionStringAsync(string resourceName, CancellationToken cancellationToken)
        => new NpgsqlConnectionStringBuilder(await App.GetConnectionStringAsync(resourceName, cancellationToken)) { Pooling = false }.ConnectionString;

    /// <summary>
    /// An open connection to one of the application's databases ("postgres", "usersdb", "postsdb"). Not pooled: the
    /// fault tests restart PostgreSQL, which ends every pooled connection of this process, and a pool would hand a
    /// later test one of those ("57P01: terminating connection due to administrator command").
    /// </summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync(string resourceName, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(await UnpooledConnectionStringAsync(resourceName, cancellationToken));
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

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

[CollectionDefinition(Name)]
public sealed class BlogAppCollection : ICollectionFixture<BlogAppFixture>
{
    public const string Name = "Blog application";
}
