using Blog.Tests.Fixtures;

namespace Blog.Tests.UserService;

/// <summary>Keys come from configuration: a token issued before a restart of the user service is valid after it.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class RestartTests(BlogAppFixture fixture)
{
    private readonly IdentityClient _identity = new(fixture);

    [Fact]
    public async Task Token_survives_a_user_service_restart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var user = await _identity.RegisterAsync(timeout.Token);
        var token = await _identity.GetAccessTokenAsync(user, timeout.Token);
        var instance = Assert.Single(await fixture.GetInstanceIdsAsync("userservice"));

        await fixture.ExecuteCommandAsync(instance, "userservice", "restart", TimeSpan.FromMinutes(2));

        // The last health snapshot before the restart also said Healthy: retry until the new process answers.
        var introspected = await RetryAsync(() => _identity.IntrospectAsync(token, timeout.Token), timeout.Token);
        Assert.True(introspected.GetProperty("active").GetBoolean());
        Assert.Equal(user.Id, introspected.GetProperty("sub").GetString());
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await attempt().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }
            catch (Exception exception) when (exception is HttpRequestException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }
}
