using Blog.AppHost.Infrastructure.Local;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// The backing services, whichever way they run. Resource and connection string names are the same in every
/// mode, so the services never know which mode ran.
/// </summary>
public sealed record BlogInfrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> UsersDatabase,
    IResourceBuilder<IResourceWithConnectionString> PostsDatabase,
    IResourceBuilder<IResourceWithConnectionString> Redis);

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
        return new BlogInfrastructure(
            InfrastructureMode.Containers,
            postgres.AddDatabase(UsersDatabaseName),
            postgres.AddDatabase(PostsDatabaseName),
            redis);
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
        return new BlogInfrastructure(
            InfrastructureMode.Local,
            postgres.AddDatabase(UsersDatabaseName),
            postgres.AddDatabase(PostsDatabaseName),
            redis);
    }

    private static string ResolveDataDirectory(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[DataDirectoryKey];
        var directory = string.IsNullOrWhiteSpace(configured) ? ".data" : configured;
        return Path.GetFullPath(Path.IsPathRooted(directory) ? directory : Path.Combine(builder.AppHostDirectory, directory));
    }
}
