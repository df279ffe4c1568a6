using Blog.ServiceDefaults.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.ServiceDefaults.Database;

public static class DatabaseMigrationExtensions
{
    /// <summary>
    /// Applies <typeparamref name="TContext"/>'s EF Core migrations at start-up in the background, then runs the
    /// registered <see cref="IDatabaseSeeder{TContext}"/>s. A health check named "<c>{TContext}-migrations</c>" is not
    /// healthy until both are done, and /health answers 503 meanwhile, so the AppHost's WaitFor holds dependents back
    /// until the schema exists.
    /// </summary>
    public static IServiceCollection AddDatabaseMigration<TContext>(this IServiceCollection services)
        where TContext : DbContext
    {
        services.AddSingleton<DatabaseMigrationStatus<TContext>>();
        services.AddSingleton<IDatabaseReadiness>(provider => provider.GetRequiredService<DatabaseMigrationStatus<TContext>>());
        services.AddHostedService<DatabaseMigrationService<TContext>>();
        services.AddHealthChecks().AddCheck<DatabaseMigrationHealthCheck<TContext>>(
            $"{typeof(TContext).Name}-migrations", tags: [HealthReportWriter.RequiredForReadinessTag]);
        return services;
    }

    public static IServiceCollection AddDatabaseSeeder<TContext, TSeeder>(this IServiceCollection services)
        where TContext : DbContext
        where TSeeder : class, IDatabaseSeeder<TContext>
        => services.AddScoped<IDatabaseSeeder<TContext>, TSeeder>();
}

/// <summary>Fills a freshly migrated database; must be idempotent (it runs at every start).</summary>
public interface IDatabaseSeeder<in TContext> where TContext : DbContext
{
    Task SeedAsync(TContext context, CancellationToken cancellationToken);
}

public sealed class DatabaseMigrationStatus<TContext> : IDatabaseReadiness where TContext : DbContext
{
    private volatile bool _complete;
    private volatile string? _lastError;

    public bool IsComplete => _complete;

    /// <summary>Why the last attempt failed; null while the first attempt runs, and once complete.</summary>
    public string? LastError => _lastError;

    internal void Completed()
    {
        _lastError = null;
        _complete = true;
    }

    internal void Failed(string error) => _lastError = error;
}

internal sealed class DatabaseMigrationHealthCheck<TContext>(DatabaseMigrationStatus<TContext> status) : IHealthCheck
    where TContext : DbContext
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(status switch
        {
            { IsComplete: true } => HealthCheckResult.Healthy("migrations applied"),
            // Starting is not an error (a Degraded check logs a warning, not an error, on every probe); /health still
            // answers 503 through the readiness tag.
            { LastError: null } => HealthCheckResult.Degraded("starting: migrations being applied"),
            _ => HealthCheckResult.Unhealthy($"migrations failed, retrying: {status.LastError}"),
        });
}
