using Blog.PostService.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Blog.UnitTests.PostService;

/// <summary>
/// The post service's probe of the user service reports what it finds, at once. With the service defaults' retries a
/// probe sent while the user service was still starting waited out the retry delays (about 3 s) before answering, so
/// /health, and every start of the application, answered seconds after the user service was up.
/// </summary>
public sealed class UserServiceHealthCheckTests
{
    [Fact]
    public async Task A_refused_probe_is_tried_once_even_with_the_service_defaults_retries()
    {
        var builder = Host.CreateApplicationBuilder();
        // As ServiceDefaults do: every HttpClient gets the standard resilience handler (retries with growing delays).
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        builder.AddUserServiceClient();
        var userService = new RefusingHandler();
        builder.Services.AddHttpClient<UserServiceHealthCheck>().ConfigurePrimaryHttpMessageHandler(() => userService);
        using var host = builder.Build();
        var check = host.Services.GetRequiredService<UserServiceHealthCheck>();
        var registration = new HealthCheckRegistration("userservice", check, HealthStatus.Degraded, tags: null);

        var result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration }, CancellationToken.None);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(1, userService.Attempts);
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        private int _attempts;

        public int Attempts => _attempts;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            throw new HttpRequestException("Connection refused (userservice)");
        }
    }
}
