using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.PostService.Users;

internal static class UserServiceClientExtensions
{
    /// <summary>Resolved by Aspire service discovery from the AppHost's reference to "userservice".</summary>
    public const string UserServiceBaseAddress = "https+http://userservice";

    public static void AddUserServiceClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient<UserServiceHealthCheck>(client => client.BaseAddress = new Uri(UserServiceBaseAddress));
        // Degraded, not unhealthy: posts are still served (and cached tokens accepted) while the user service is down.
        builder.Services.AddHealthChecks().AddCheck<UserServiceHealthCheck>("userservice", HealthStatus.Degraded);
    }
}

/// <summary>Reaches the user service's liveness endpoint through service discovery.</summary>
internal sealed class UserServiceHealthCheck(HttpClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await client.GetAsync(Extensions.AlivenessEndpointPath, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"reached {client.BaseAddress}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"user service answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, exception.Message);
        }
    }
}
