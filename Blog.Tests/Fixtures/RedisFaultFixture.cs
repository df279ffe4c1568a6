using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Blog.Tests.Fixtures;

/// <summary>
/// An application of its own (two post service replicas, as the shared one) for the tests that hang or crash Redis:
/// a stopped Redis process would stall every other test of the shared application meanwhile.
/// </summary>
public sealed class RedisFaultFixture() : BlogApplication("blog-redis-faults"), IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var builder = await CreateBuilderAsync(["--PostService:Replicas=2"], timeout.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        var app = await BuildAsync(builder, timeout.Token);
        await app.StartAsync(timeout.Token);
        foreach (var name in BlogResources.All)
        {
            await WaitHealthyAsync(name, timeout.Token);
        }
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

// Its Redis is stopped or frozen for seconds at a time, and its second application competes for the 2 cores: run alone.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisFaultCollection : ICollectionFixture<RedisFaultFixture>
{
    public const string Name = "Redis faults";
}
