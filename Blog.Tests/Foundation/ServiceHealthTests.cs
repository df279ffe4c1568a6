using System.Net.Http.Json;
using Blog.Tests.Fixtures;

namespace Blog.Tests.Foundation;

/// <summary>Each service reaches what it owns (its database, Redis) and the post service reaches the user service.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class ServiceHealthTests(BlogAppFixture fixture)
{
    [Theory]
    [InlineData(BlogResources.UserService, "UsersDbContext")]
    [InlineData(BlogResources.PostService, "PostsDbContext")]
    public async Task Service_reports_its_database_migrations_and_redis_healthy(string service, string dbContext)
    {
        var report = await GetHealthAsync(service);

        Assert.Equal("Healthy", report.Status);
        Assert.Equal("Healthy", report.Checks[dbContext].Status);
        Assert.Equal("Healthy", report.Checks[$"{dbContext}-migrations"].Status);
        Assert.Equal("Healthy", Assert.Single(report.Checks, check => check.Key.Contains("Redis", StringComparison.OrdinalIgnoreCase)).Value.Status);
    }

    [Fact]
    public async Task Post_service_reaches_the_user_service_by_service_discovery()
    {
        var report = await GetHealthAsync(BlogResources.PostService);

        Assert.Equal("Healthy", report.Checks[BlogResources.UserService].Status);
    }

    [Theory]
    [InlineData(BlogResources.UserService)]
    [InlineData(BlogResources.PostService)]
    public async Task Service_answers_alive(string service)
    {
        using var client = fixture.CreateHttpClient(service);
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);

        using var response = await client.GetAsync("/alive", timeout.Token);

        response.EnsureSuccessStatusCode();
    }

    private async Task<HealthReport> GetHealthAsync(string service)
    {
        using var client = fixture.CreateHttpClient(service);
        using var timeout = new CancellationTokenSource(BlogAppFixture.DefaultTimeout);
        var report = await client.GetFromJsonAsync<HealthReport>("/health", timeout.Token);
        return report ?? throw new InvalidOperationException("empty health report");
    }

    private sealed record HealthReport(string Status, Dictionary<string, HealthEntry> Checks);

    private sealed record HealthEntry(string Status, string? Description);
}
