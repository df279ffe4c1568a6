using Blog.AppHost.Infrastructure.Local;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// The backing services, whichever way they run. Resource and connection string names are the same in every
/// mode, so the services never know which mode ran. The servers' own connection strings carry the administrators'
/// credentials and serve the AppHost alone; each service connects with its own logins (<see cref="ServiceLogins"/>).
/// </summary>
public sealed record BlogInfrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> UsersDatabase,
    IResourceBuilder<IResourceWithConnectionString> PostsDatabase,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    ServiceLogins UserService,
    ServiceLogins PostService);

/// <summary>One service's credentials: a PostgreSQL role owning its database, and a Redis user.</summary>
public sealed record ServiceLogins(IResourceBuilder<ServiceLoginResource> Database, IResourceBuilder<ServiceLoginResource> Redis);

public static class BlogInfrastructureExtensions
{
    public const string PostgresName = "postgres";
    public const string UsersDatabaseName = "usersdb";
    public const string PostsDatabaseName = "postsdb";
    public const string RedisName = "redis";
    public const string DataDirectoryKey = "Infrastructure:DataDirectory";

    public static BlogInfrastructure AddBlogInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = InfrastructureModeSetting.Parse(builder.Configuration[InfrastructureModeSetting.Key]);
        if (mode == InfrastructureMode.Auto)
        {
            var runtime = ContainerRuntimeDetector.FindWorkingRuntime();
            if (runtime is not null)
            {
                builder.Configuration["DcpPublisher:ContainerRuntime"] = runtime;
            }

            mode = runtime is null ? InfrastructureMode.Local : InfrastructureMode.Containers;
        }

        return mode == InfrastructureMode.Containers ? AddContainers(builder) : AddLocalProcesses(builder);
    }

    private static BlogInfrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres(PostgresName).WithDataVolume();
        var redis = builder.AddRedis(RedisName);
        var usersDatabase = postgres.AddDatabase(UsersDatabaseName);
        var postsDatabase = postgres.AddDatabase(PostsDatabaseName);
        var userService = LoginsOf(builder, ServiceAccount.UserService, postgres.Resource, postgres.Resource.PrimaryEndpoint, redis.Resource, redis.Resource.PrimaryEndpoint);
        var postService = LoginsOf(builder, ServiceAccount.PostService, postgres.Resource, postgres.Resource.PrimaryEndpoint, redis.Resource, redis.Resource.PrimaryEndpoint);
        redis.WithServiceUsers([userService.Redis.Resource, postService.Redis.Resource]);
        return new BlogInfrastructure(InfrastructureMode.Containers, usersDatabase, postsDatabase, redis, userService, postService);
    }

    private static BlogInfrastructure AddLocalProcesses(IDistributedApplicationBuilder builder)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new InfrastructureConfigurationException(
                $"local mode runs PostgreSQL and Redis from Linux or macOS packages; on Windows set {InfrastructureModeSetting.Key}=containers.");
        }

        // No container resource may be in this model: one alone makes DCP wait for a container runtime that is not there.
        var dataRoot = ResolveDataDirectory(builder);
        var postgres = builder.AddLocalPostgres(PostgresName, Path.Combine(dataRoot, "postgres"));
        var redis = builder.AddLocalRedis(RedisName, Path.Combine(dataRoot, "redis"));
        var usersDatabase = postgres.AddDatabase(UsersDatabaseName);
        var postsDatabase = postgres.AddDatabase(PostsDatabaseName);
        var userService = LoginsOf(builder, ServiceAccount.UserService, postgres.Resource, postgres.Resource.PrimaryEndpoint, redis.Resource, redis.Resource.PrimaryEndpoint);
        var postService = LoginsOf(builder, ServiceAccount.PostService, postgres.Resource, postgres.Resource.PrimaryEndpoint, redis.Resource, redis.Resource.PrimaryEndpoint);
        redis.Resource.AddUser(userService.Redis.Resource);
        redis.Resource.AddUser(postService.Redis.Resource);
        return new BlogInfrastructure(InfrastructureMode.Local, usersDatabase, postsDatabase, redis, userService, postService);
    }

    private static ServiceLogins LoginsOf(IDistributedApplicationBuilder builder, ServiceAccount account,
        IResourceWithConnectionString postgres, EndpointReference postgresEndpoint, IResourceWithConnectionString redis, EndpointReference redisEndpoint)
        => new(builder.AddDatabaseLogin(postgres, postgresEndpoint, account), builder.AddRedisLogin(redis, redisEndpoint, account));

    private static string ResolveDataDirectory(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[DataDirectoryKey];
        var directory = string.IsNullOrWhiteSpace(configured) ? ".data" : configured;
        return Path.GetFullPath(Path.IsPathRooted(directory) ? directory : Path.Combine(builder.AppHostDirectory, directory));
    }
}
