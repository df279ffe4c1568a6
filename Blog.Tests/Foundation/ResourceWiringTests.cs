using Blog.ServiceDefaults.Database;
using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Blog.Tests.Foundation;

/// <summary>What each running service was given: its own database, Redis and (post service) the user service.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class ResourceWiringTests(BlogAppFixture fixture)
{
    [Theory]
    [InlineData(BlogResources.UserService, new[] { "ConnectionStrings__usersdb", "ConnectionStrings__redis" }, new[] { "ConnectionStrings__postsdb" })]
    [InlineData(BlogResources.PostService, new[] { "ConnectionStrings__postsdb", "ConnectionStrings__redis", "services__userservice__http__0" }, new[] { "ConnectionStrings__usersdb" })]
    public async Task Service_gets_exactly_its_own_connections(string service, string[] expected, string[] forbidden)
    {
        var environment = await fixture.GetEnvironmentAsync(service);

        Assert.All(expected, name => Assert.Contains(name, environment.Keys));
        Assert.All(forbidden, name => Assert.DoesNotContain(name, environment.Keys));
    }

    [Fact]
    public void Local_mode_model_holds_no_container_resource()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();

        Assert.Empty(model.Resources.OfType<ContainerResource>());
        Assert.Contains(model.Resources, resource => resource.Name == BlogResources.Postgres && resource is ExecutableResource);
        Assert.Contains(model.Resources, resource => resource.Name == BlogResources.Redis && resource is ExecutableResource);
    }

    [Fact]
    public async Task Local_postgres_keeps_its_cluster_in_the_configured_data_directory()
    {
        var clusterVersionFile = Path.Combine(fixture.DataDirectory, "postgres", "cluster", "PG_VERSION");

        Assert.True(File.Exists(clusterVersionFile), $"{clusterVersionFile} missing");
        var environment = await fixture.GetEnvironmentAsync(BlogResources.UserService);
        Assert.StartsWith("Host=localhost;", environment["ConnectionStrings__usersdb"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_service_instance_can_fill_its_connection_pool_at_once()
    {
        // Pools that together exceed max_connections make PostgreSQL refuse ("too many clients") the last process to
        // get busy: that is how the benchmark's Redis-only instance once fell from 1,600 to 60 requests per second.
        var instances = (await fixture.GetInstanceIdsAsync(BlogResources.UserService)).Count + (await fixture.GetInstanceIdsAsync(BlogResources.PostService)).Count;
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        await using var connection = await fixture.OpenDatabaseAsync(BlogResources.Postgres, timeout.Token);
        var maxConnections = await ReadSettingAsync(connection, "max_connections", timeout.Token);
        var reserved = await ReadSettingAsync(connection, "superuser_reserved_connections", timeout.Token);
        // Room left for the AppHost's health checks, a migration and a person with psql.
        const int headroom = 10;

        Assert.True(instances >= 3, $"expected the user service and two post service replicas, found {instances} instances");
        Assert.True(instances * DatabaseResilienceExtensions.MaxPoolSize <= maxConnections - reserved - headroom,
            $"{instances} instances x {DatabaseResilienceExtensions.MaxPoolSize} pooled connections do not fit in max_connections {maxConnections} - {reserved} reserved - {headroom}");
    }

    private static async Task<int> ReadSettingAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT setting::int FROM pg_settings WHERE name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
