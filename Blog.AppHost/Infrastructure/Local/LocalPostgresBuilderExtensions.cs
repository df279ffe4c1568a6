using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Blog.AppHost.Infrastructure.Local;

[UnsupportedOSPlatform("windows")]
public static class LocalPostgresBuilderExtensions
{
    public const string BinDirectoryKey = "Infrastructure:PostgresBinDirectory";
    private const string SystemAccount = "postgres";

    /// <summary>
    /// DCP stops a process with SIGTERM, which PostgreSQL takes as a smart shutdown: it waits for every client to leave,
    /// the services' pooled connections never do, so DCP killed it after some seconds and every start after a stop or
    /// restart began with crash recovery. Like the official image (STOPSIGNAL SIGINT), this shell turns SIGTERM into
    /// SIGINT, a fast shutdown: sessions are ended, the cluster is shut down cleanly, the process exits within a second.
    /// The shell waits again after a trapped signal (which interrupts wait) to exit with the server's own status.
    /// PostgreSQL writes its whole log, start-up chatter included, to stderr, which the dashboard shows as errors: it
    /// goes to stdout instead (each line still names its own level: LOG, WARNING, ERROR).
    /// </summary>
    private const string FastShutdownScript = """
        "$@" 2>&1 &
        server=$!
        trap 'kill -INT "$server" 2>/dev/null' TERM INT
        wait "$server"; status=$?
        while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
        exit "$status"
        """;

    /// <summary>
    /// PostgreSQL from the machine's packages: initdb on first use in <paramref name="dataRoot"/>, loopback only,
    /// port allocated by Aspire, password generated like Aspire's container gets it.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string dataRoot)
    {
        var binDirectory = FindBinDirectory(builder.Configuration[BinDirectoryKey]);
        var launcher = ServiceAccountLauncher.For("/bin/sh", SystemAccount);
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password");
        var server = new LocalPostgresServerResource(name, launcher.Command, dataRoot, password);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, (_, cancellationToken) =>
            InitializeClusterAsync(server, launcher, binDirectory, cancellationToken));
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, (@event, cancellationToken) =>
            CreateDatabasesAsync(server, @event.Services.GetRequiredService<ResourceNotificationService>(), cancellationToken));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new PostgresHealthCheck(server, server), HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(server)
            // Not behind DCP's proxy: every query would otherwise cross one more process (as Redis's commands did,
            // see LocalRedisBuilderExtensions), and a stopped server refuses connections instead of the proxy holding
            // them. The port stays the same across a restart of the resource (PostgresRestartTests).
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                foreach (var argument in launcher.PrefixArguments)
                {
                    context.Args.Add(argument);
                }

                context.Args.Add("-c");
                context.Args.Add(FastShutdownScript);
                context.Args.Add("postgres"); // $0 of the script
                context.Args.Add(Path.Combine(binDirectory, "postgres"));
                context.Args.Add("-D");
                context.Args.Add(server.ClusterDirectory);
                context.Args.Add("-k");
                context.Args.Add(server.SocketDirectory);
                context.Args.Add("-c");
                context.Args.Add("listen_addresses=127.0.0.1,::1");
                context.Args.Add("-p");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("DatabaseStack");
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name)
    {
        var database = new LocalPostgresDatabaseResource(name, name, server.Resource);
        server.Resource.AddDatabase(database);

        var healthCheckKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new PostgresHealthCheck(database, server.Resource), HealthStatus.Unhealthy, tags: null));

        // Not a process of its own: it waits until the server is ready and has created it (CreateDatabasesAsync).
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [],
            })
            .WithParentRelationship(server)
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database");
    }

    private static string FindBinDirectory(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "postgres"))
                ? configured
                : throw new InfrastructureConfigurationException($"{BinDirectoryKey} = '{configured}' holds no 'postgres' binary.");
        }

        // Debian keeps the server binaries off PATH, one folder per major version: take the newest.
        const string debianRoot = "/usr/lib/postgresql";
        var debian = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(directory => (Major: int.TryParse(Path.GetFileName(directory), out var major) ? major : -1, Bin: Path.Combine(directory, "bin")))
                .Where(candidate => candidate.Major > 0 && File.Exists(Path.Combine(candidate.Bin, "postgres")))
                .OrderByDescending(candidate => candidate.Major)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault()
            : null;
        var onPath = LocalProcess.FindOnPath("postgres") is { } binary ? Path.GetDirectoryName(binary) : null;

        return debian ?? onPath ?? throw new InfrastructureConfigurationException(
            "local mode needs the PostgreSQL server, which was not found (looked in /usr/lib/postgresql/*/bin and on PATH). " +
            "Install Debian's package: apt-get install postgresql (or set " + BinDirectoryKey + ").");
    }

    private static async Task InitializeClusterAsync(
        LocalPostgresServerResource server, ServiceAccountLauncher launcher, string binDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(server.SocketDirectory);
        if (!File.Exists(Path.Combine(server.ClusterDirectory, "PG_VERSION")))
        {
            // initdb refuses a non-empty directory: a half-made cluster from an interrupted first run goes.
            if (Directory.Exists(server.ClusterDirectory))
            {
                Directory.Delete(server.ClusterDirectory, recursive: true);
            }

            Directory.CreateDirectory(server.ClusterDirectory);
            var passwordFile = Path.Combine(server.SocketDirectory, "initdb-password");
            await SecretFile.WriteAsync(passwordFile, await server.PasswordParameter.GetValueAsync(cancellationToken) ?? "", cancellationToken);
            try
            {
                await launcher.GiveOwnershipAsync(server.WorkingDirectory, cancellationToken);
                var (command, arguments) = launcher.Wrap(Path.Combine(binDirectory, "initdb"),
                [
                    "-D", server.ClusterDirectory, "-U", LocalPostgresServerResource.UserName, $"--pwfile={passwordFile}",
                    "--auth-host=scram-sha-256", "--auth-local=peer", "--encoding=UTF8", "--locale=C.UTF-8",
                ]);
                await LocalProcess.RunAsync(command, arguments, cancellationToken);
            }
            finally
            {
                File.Delete(passwordFile);
            }
        }

        await launcher.GiveOwnershipAsync(server.WorkingDirectory, cancellationToken);
    }

    private static async Task CreateDatabasesAsync(
        LocalPostgresServerResource server, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await server.ConnectionStringExpression.GetValueAsync(cancellationToken));
        await connection.OpenAsync(cancellationToken);
        foreach (var database in server.Databases)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", database.DatabaseName);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            // Running is what lets Aspire start the database's health check, and so release its dependents.
            await notifications.PublishUpdateAsync(database, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            });
        }
    }
}

/// <summary>Healthy when a connection opens and answers <c>SELECT 1</c>.</summary>
/// <summary>The server, or one of its databases, accepts a connection and answers a query.</summary>
internal sealed class PostgresHealthCheck(IResourceWithConnectionString resource, LocalPostgresServerResource server) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // A connection attempt while the server starts is refused with a FATAL in its log; the postmaster says when it
        // is ready in the last line of postmaster.pid, so ask it first.
        if (await ReadPostmasterStatusAsync(cancellationToken) is "starting")
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL is starting");
        }

        try
        {
            var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, exception.Message);
        }
    }

    /// <summary>"starting", "ready", "stopping", or null where the file cannot be read (then the connection decides).</summary>
    private async Task<string?> ReadPostmasterStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var lines = await File.ReadAllLinesAsync(Path.Combine(server.ClusterDirectory, "postmaster.pid"), cancellationToken);
            return lines.Length >= 8 ? lines[7].Trim() : "starting";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
