using Blog.ServiceDefaults.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Blog.ServiceDefaults.Database;

/// <summary>Whether a database's migrations and seeders have all run (one per migrated DbContext).</summary>
public interface IDatabaseReadiness
{
    bool IsComplete { get; }
}

public static class DatabaseReadinessExtensions
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Until every database is migrated and seeded, each request but the health probes gets 503 ProblemDetails with
    /// Retry-After. Before, a request could run against a missing schema, or win a race with the seeder (e.g. register
    /// the administrator's name before the seeder looked for an administrator).
    /// </summary>
    public static IApplicationBuilder UseDatabaseReadiness(this IApplicationBuilder app)
    {
        var databases = app.ApplicationServices.GetServices<IDatabaseReadiness>().ToArray();
        if (databases.Length == 0)
        {
            return app;
        }

        return app.Use(async (context, next) =>
        {
            if (databases.All(database => database.IsComplete) || IsHealthProbe(context.Request.Path))
            {
                await next(context);
                return;
            }

            await context.WriteRetryLaterAsync(StatusCodes.Status503ServiceUnavailable, RetryAfter, "The service is starting",
                "The service is still preparing its database; retry after the time given in Retry-After.");
        });
    }

    private static bool IsHealthProbe(PathString path)
        => path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath)
           || path.StartsWithSegments(Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath);
}
