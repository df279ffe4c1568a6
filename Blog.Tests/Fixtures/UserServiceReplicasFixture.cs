using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Blog.Tests.Fixtures;

/// <summary>
/// A second application with two user-service instances, for the tests that go from one instance to the other in the
/// middle of a sign-in. Its own collection: the shared application keeps one user service (its fault tests stop it).
/// </summary>
public sealed class UserServiceReplicasFixture() : BlogApplication("blog-replicas"), IAsyncLifetime
{
    public const int Replicas = 2;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var builder = await CreateBuilderAsync([$"--UserService:Replicas={Replicas}", "--PostService:Replicas=1"], timeout.Token);
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

// Its second application would compete for the 2 cores with the shared one's browser tests: run alone.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UserServiceReplicasCollection : ICollectionFixture<UserServiceReplicasFixture>
{
    public const string Name = "Two user services";
}
