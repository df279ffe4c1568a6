using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Blog.AppHost.Infrastructure.Local;

[UnsupportedOSPlatform("windows")]
public static class LocalRedisBuilderExtensions
{
    private const string SystemAccount = "redis";

    /// <summary>
    /// redis-server from the machine's packages: loopback only, port allocated by Aspire, no persistence, run as the
    /// package's own account (as PostgreSQL runs as postgres), never as root.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string dataRoot)
    {
        var binary = LocalProcess.FindOnPath("redis-server")
            ?? throw new InfrastructureConfigurationException(
                "local mode needs redis-server, which was not found on PATH. Install Debian's package: apt-get install redis-server.");
        var launcher = ServiceAccountLauncher.For(binary, SystemAccount);
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var redis = new LocalRedisResource(name, launcher.Command, dataRoot, password);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, (_, cancellationToken) =>
            WriteConfigurationAsync(redis, launcher, cancellationToken));

        // One instance for all checks, so that the connection is kept between them.
        var healthCheck = new RedisHealthCheck(redis);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => healthCheck, HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(redis)
            // Not behind DCP's proxy: every command would otherwise cross one more process (0.2 of a core and a
            // higher latency per Redis hit in the benchmark), and a stopped server refuses connections instead of
            // the proxy holding them. The port stays the same across a restart of the resource.
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp", isProxied: false)
            // The port goes on the command line: DCP fills in the allocated port only in arguments and environment.
            .WithArgs(context =>
            {
                foreach (var argument in launcher.PrefixArguments)
                {
                    context.Args.Add(argument);
                }

                context.Args.Add(redis.ConfigurationFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Memory");
    }

    private static async Task WriteConfigurationAsync(LocalRedisResource redis, ServiceAccountLauncher launcher, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(redis.WorkingDirectory);
        // Users' passwords as SHA-256 (#...): the file never holds one in clear. The default user is off: every
        // connection names its user; the administrator is the AppHost's (health check, tests), each service has its own.
        List<string> lines =
        [
            // "-::1": listen on IPv6 loopback where it exists ("localhost" may resolve to it), without failing where not.
            "bind 127.0.0.1 -::1",
            "protected-mode yes",
            "save \"\"",
            "appendonly no",
            $"dir {redis.WorkingDirectory}",
            "user default off resetkeys resetchannels -@all",
            $"user {LocalRedisResource.AdminUserName} on #{Sha256(await redis.PasswordParameter.GetValueAsync(cancellationToken))} ~* &* +@all",
        ];
        foreach (var user in redis.Users)
        {
            lines.Add($"user {user.Account.RedisUserRule("#" + Sha256(await user.PasswordParameter.GetValueAsync(cancellationToken)))}");
        }

        await SecretFile.WriteAsync(redis.ConfigurationFile, string.Join('\n', lines) + "\n", cancellationToken);
        await launcher.GiveOwnershipAsync(redis.WorkingDirectory, cancellationToken);
    }

    private static string Sha256(string? password)
        => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            password ?? throw new InvalidOperationException("A Redis password parameter has no value."))));
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
