using Blog.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.PostService.Users;

internal static class UserServiceClientExtensions
{
    /// <summary>Resolved by Aspire service discovery from the AppHost's reference to the user service.</summary>
    public const string UserServiceBaseAddress = "https+http://" + BlogServiceNames.UserService;

    /// <summary>The named client for the user service's token endpoint and service API.</summary>
    public const string ClientName = BlogServiceNames.UserService;

    public static void AddUserServiceClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(ClientName, client => client.BaseAddress = new Uri(UserServiceBaseAddress));
        builder.Services.AddSingleton<ServiceTokenProvider>();
        builder.Services.AddSingleton<IAuthorDirectory, UserServiceAuthorDirectory>();

        // A probe reports what it finds at once: the service defaults' retries made a probe sent while the user service
        // was starting wait out their delays (about 3 s) before answering, and /health with it. Whoever probes, probes again.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client out.
        builder.Services.AddHttpClient<UserServiceHealthCheck>(client => client.BaseAddress = new Uri(UserServiceBaseAddress))
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        // Degraded, not unhealthy: posts are still served (and cached tokens accepted) while the user service is down.
        builder.Services.AddHealthChecks().AddCheck<UserServiceHealthCheck>(BlogServiceNames.UserService, HealthStatus.Degraded);
    }
}

/// <summary>Reaches the user service's liveness endpoint through service discovery.</summary>
internal sealed class UserServiceHealthCheck(HttpClient client) : IHealthCheck
{
    /// <summary>Well under the AppHost's probe timeout: a hanging user service must not make this service look hung.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await client.GetAsync(Extensions.AlivenessEndpointPath, timeout.Token);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"reached {client.BaseAddress}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"user service answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, exception.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"no answer within {Timeout.TotalSeconds} s");
        }
    }
}
