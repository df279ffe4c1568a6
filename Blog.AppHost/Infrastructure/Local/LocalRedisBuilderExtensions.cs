using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Blog.AppHost.Infrastructure.Local;

[UnsupportedOSPlatform("windows")]
public static class LocalRedisBuilderExtensions
{
    /// <summary>redis-server from the machine's packages: loopback only, port allocated by Aspire, no persistence.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string dataRoot)
    {
        var binary = LocalProcess.FindOnPath("redis-server")
            ?? throw new InfrastructureConfigurationException(
                "local mode needs redis-server, which was not found on PATH. Install Debian's package: apt-get install redis-server.");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var redis = new LocalRedisResource(name, binary, dataRoot, password);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, (_, cancellationToken) =>
            WriteConfigurationAsync(redis, cancellationToken));

        // One instance for all checks, so that the connection is kept between them.
        var healthCheck = new RedisHealthCheck(redis);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => healthCheck, HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp")
            // The port goes on the command line: DCP fills in the allocated port only in arguments and environment.
            .WithArgs(context =>
            {
                context.Args.Add(redis.ConfigurationFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Memory");
    }

    private static async Task WriteConfigurationAsync(LocalRedisResource redis, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(redis.WorkingDirectory);
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken);
        // "-::1": listen on IPv6 loopback where it exists ("localhost" may resolve to it), without failing where not.
        string[] lines =
        [
            "bind 127.0.0.1 -::1",
            "protected-mode yes",
            $"requirepass {password}",
            "save \"\"",
            "appendonly no",
            $"dir {redis.WorkingDirectory}",
        ];
        await File.WriteAllLinesAsync(redis.ConfigurationFile, lines, cancellationToken);
        File.SetUnixFileMode(redis.ConfigurationFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

/// <summary>Healthy when the server answers PING; keeps one connection across checks.</summary>
internal sealed class RedisHealthCheck(LocalRedisResource redis) : IHealthCheck
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private ConnectionMultiplexer? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await ConnectAsync(cancellationToken);
            await connection.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, exception.Message);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsConnected: true })
        {
            return _connection;
        }

        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsConnected: true })
            {
                return _connection;
            }

            _connection?.Dispose();
            var options = ConfigurationOptions.Parse(await redis.ConnectionStringExpression.GetValueAsync(cancellationToken) ?? "");
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 2000;
            _connection = await ConnectionMultiplexer.ConnectAsync(options);
            return _connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
