using Blog.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Foundation;

/// <summary>What each running service was given: its own database, Redis and (post service) the user service.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class ResourceWiringTests(BlogAppFixture fixture)
{
    [Theory]
    [InlineData("userservice", new[] { "ConnectionStrings__usersdb", "ConnectionStrings__redis" }, new[] { "ConnectionStrings__postsdb" })]
    [InlineData("postservice", new[] { "ConnectionStrings__postsdb", "ConnectionStrings__redis", "services__userservice__http__0" }, new[] { "ConnectionStrings__usersdb" })]
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
        Assert.Contains(model.Resources, resource => resource.Name == "postgres" && resource is ExecutableResource);
        Assert.Contains(model.Resources, resource => resource.Name == "redis" && resource is ExecutableResource);
    }

    [Fact]
    public async Task Local_postgres_keeps_its_cluster_in_the_configured_data_directory()
    {
        var clusterVersionFile = Path.Combine(fixture.DataDirectory, "postgres", "cluster", "PG_VERSION");

        Assert.True(File.Exists(clusterVersionFile), $"{clusterVersionFile} missing");
        var environment = await fixture.GetEnvironmentAsync("userservice");
        Assert.StartsWith("Host=localhost;", environment["ConnectionStrings__usersdb"], StringComparison.Ordinal);
    }
}
