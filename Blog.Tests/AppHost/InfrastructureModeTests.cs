using System.Diagnostics;
using Aspire.Hosting.Postgres;
using Blog.AppHost.Infrastructure;

namespace Blog.Tests.AppHost;

/// <summary>The one setting that chooses how PostgreSQL and Redis run.</summary>
public sealed class InfrastructureModeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(null, InfrastructureMode.Auto)]
    [InlineData("", InfrastructureMode.Auto)]
    [InlineData("auto", InfrastructureMode.Auto)]
    [InlineData("Containers", InfrastructureMode.Containers)]
    [InlineData(" LOCAL ", InfrastructureMode.Local)]
    public void Valid_values_parse(string? value, InfrastructureMode expected)
        => Assert.Equal(expected, InfrastructureModeSetting.Parse(value));

    [Theory]
    [InlineData("docker")]
    [InlineData("1")]
    [InlineData("local,containers")]
    public void Invalid_values_name_the_valid_ones(string value)
    {
        var exception = Assert.Throws<InfrastructureConfigurationException>(() => InfrastructureModeSetting.Parse(value));

        Assert.Contains($"'{value}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("auto | containers | local", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppHost_with_a_bad_mode_stops_at_once_with_a_message_and_no_stack_trace()
    {
        var (exitCode, error) = await RunAppHostAsync(["--Infrastructure:Mode=bogus"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("'bogus' is not a valid value for Infrastructure:Mode. Valid values: auto | containers | local.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppHost_in_local_mode_without_redis_server_names_the_package_to_install()
    {
        // An empty PATH hides redis-server; PostgreSQL is found in Debian's own folder first.
        var (exitCode, error) = await RunAppHostAsync(["--Infrastructure:Mode=local"], path: "/nonexistent");

        Assert.Equal(2, exitCode);
        Assert.Contains("apt-get install redis-server", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppHost_in_local_mode_with_a_wrong_postgres_folder_says_so()
    {
        var (exitCode, error) = await RunAppHostAsync(["--Infrastructure:Mode=local", "--Infrastructure:PostgresBinDirectory=/nonexistent"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("Infrastructure:PostgresBinDirectory = '/nonexistent' holds no 'postgres' binary", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_mode_builds_the_idiomatic_container_model()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
            ["--Infrastructure:Mode=containers"], timeout.Token);
        var resources = builder.Resources.ToDictionary(resource => resource.Name);

        var postgres = Assert.IsType<PostgresServerResource>(resources[BlogResources.Postgres]);
        Assert.True(postgres.TryGetContainerImageName(out var postgresImage));
        Assert.Contains("postgres", postgresImage, StringComparison.Ordinal);
        Assert.Contains(postgres.Annotations.OfType<ContainerMountAnnotation>(), mount => mount.Type == ContainerMountType.Volume);

        var redis = Assert.IsType<RedisResource>(resources[BlogResources.Redis]);
        Assert.True(redis.TryGetContainerImageName(out var redisImage));
        Assert.Contains("redis", redisImage, StringComparison.Ordinal);

        Assert.Same(postgres, Assert.IsType<PostgresDatabaseResource>(resources[BlogResources.UsersDatabase]).Parent);
        Assert.Same(postgres, Assert.IsType<PostgresDatabaseResource>(resources[BlogResources.PostsDatabase]).Parent);

        // A reference to (or wait for) a database may also be recorded as one to its server: the server is optional here.
        // Each service connects with its own logins, never the servers' administrator credentials.
        Assert.Equal(["postgres-userservice", "redis-userservice"], ReferencesOf(resources[BlogResources.UserService]).Except([BlogResources.Postgres, BlogResources.Redis]));
        Assert.Equal(["postgres-postservice", "redis-postservice", BlogResources.UserService], ReferencesOf(resources[BlogResources.PostService]).Except([BlogResources.Postgres, BlogResources.Redis]));
        Assert.Equal(["postgres-userservice", BlogResources.Redis, "redis-userservice", BlogResources.UsersDatabase], WaitsOf(resources[BlogResources.UserService]).Except([BlogResources.Postgres]));
        // Not for the user service: both start at once (the post service needs it only for its first unknown token).
        Assert.Equal(["postgres-postservice", BlogResources.PostsDatabase, BlogResources.Redis, "redis-postservice"], WaitsOf(resources[BlogResources.PostService]).Except([BlogResources.Postgres]));

        // A PostgreSQL role per service, owner of its own database.
        foreach (var (service, database) in new[] { (BlogResources.UserService, BlogResources.UsersDatabase), (BlogResources.PostService, BlogResources.PostsDatabase) })
        {
            var login = Assert.IsType<ServiceLoginResource>(resources[$"postgres-{service}"]);
            Assert.Same(postgres, login.Parent);
            Assert.Equal((service, database), (login.Account.RoleName, login.Account.DatabaseName));
            var connectionString = login.ConnectionStringExpression.ValueExpression; // endpoints are allocated only in a run
            Assert.Contains($"Username={service};", connectionString, StringComparison.Ordinal);
            Assert.Contains($"Database={database}", connectionString, StringComparison.Ordinal);
        }

        // A Redis user per service on the server's command line, the default user left able to PING only.
        // The evaluated command line and environment as a run would pass them (the newer ExecutionConfigurationBuilder
        // needs a running application's services; these two evaluate the model alone).
#pragma warning disable CS0618
        var command = string.Join(' ', await redis.GetArgumentValuesAsync());
        var environment = await redis.GetEnvironmentVariableValuesAsync();
#pragma warning restore CS0618
        Assert.Contains("--user default on \">$BLOG_REDIS_DEFAULT_PASSWORD\" resetkeys resetchannels -@all +@connection", command, StringComparison.Ordinal);
        Assert.Contains("--user postservice on \">$BLOG_REDIS_POSTSERVICE_PASSWORD\" 'resetkeys' '~blog:postservice:*'", command, StringComparison.Ordinal);
        Assert.Contains("'%R~blog:revoked:*'", command, StringComparison.Ordinal);
        Assert.Contains("--user userservice on \">$BLOG_REDIS_USERSERVICE_PASSWORD\" 'resetkeys' '~blog:revoked:*'", command, StringComparison.Ordinal);
        Assert.Contains("BLOG_REDIS_POSTSERVICE_PASSWORD", environment.Keys);
        Assert.Contains("BLOG_REDIS_USERSERVICE_PASSWORD", environment.Keys);
        foreach (var service in new[] { BlogResources.UserService, BlogResources.PostService })
        {
            var login = Assert.IsType<ServiceLoginResource>(resources[$"redis-{service}"]);
            Assert.Same(redis, login.Parent);
            Assert.Contains($",user={service},", login.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
        }
    }

    private static string[] ReferencesOf(IResource resource)
        => resource.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Where(relationship => relationship.Type == "Reference" && relationship.Resource is not ParameterResource)
            .Select(relationship => relationship.Resource.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static string[] WaitsOf(IResource resource)
        => resource.Annotations.OfType<WaitAnnotation>()
            .Select(wait => wait.Resource.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Runs the built AppHost as a user would, up to the point where it reads its settings.</summary>
    private static async Task<(int ExitCode, string Error)> RunAppHostAsync(string[] arguments, string? path = null)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Blog.AppHost.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (path is not null)
        {
            startInfo.Environment["PATH"] = path;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("dotnet did not start");
        using var timeout = new CancellationTokenSource(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The AppHost did not stop by itself: {await output}");
        }

        return (process.ExitCode, await error + await output);
    }
}
