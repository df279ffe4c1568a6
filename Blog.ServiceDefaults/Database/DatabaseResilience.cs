using System.Data.Common;
using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace Blog.ServiceDefaults.Database;

/// <summary>
/// PostgreSQL for a Blog service: Aspire's Npgsql DbContext, retrying for a bounded time. With Aspire's defaults (EF
/// Core's 6 retries up to 30 s apart, each connection attempt up to Npgsql's 15 s, and Aspire's proxy holding a
/// connection to a stopped server instead of refusing it) a request waited minutes while the database was away. Here
/// transient failures are retried for up to <see cref="RetryBudget"/>, which rides out a restart (a few seconds), and
/// then the request answers 503 with Retry-After (<see cref="DatabaseUnavailableExceptionHandler"/>).
/// </summary>
public static class DatabaseResilienceExtensions
{
    /// <summary>Seconds a connection attempt may take, unless the connection string sets its own Timeout.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>
    /// Connections one service process may hold, unless the connection string sets its own Maximum Pool Size. Npgsql's
    /// default of 100 per process is PostgreSQL's whole default max_connections: under load, the first processes' pools
    /// took every connection and the next one's were refused ("too many clients", 53300), each refusal retried for
    /// seconds. At 16, five processes (two replicas, the user service, the benchmark's two variants) fit in 100; a
    /// request past 16 concurrent queries waits for a pooled connection instead of being refused.
    /// </summary>
    public const int MaxPoolSize = 16;

    private static readonly string[] MaxPoolSizeKeywords = ["Maximum Pool Size", "Max Pool Size", "MaxPoolSize"];

    /// <summary>No retry starts later than this after the first attempt; the last one may add a connection attempt.</summary>
    public static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(8);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    public static void AddBlogNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder, string connectionName, Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        builder.AddNpgsqlDbContext<TContext>(
            connectionName,
            settings => settings.ConnectionString = WithConnectionDefaults(settings.ConnectionString),
            options =>
            {
                // Runs after Aspire's own UseNpgsql: replaces its retry strategy, keeps the rest.
                options.UseNpgsql(npgsql => npgsql.ExecutionStrategy(dependencies =>
                    new BudgetedRetryingExecutionStrategy(dependencies, RetryBudget, MaxRetryDelay)));
                configureDbContextOptions?.Invoke(options);
            });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionHandler, DatabaseUnavailableExceptionHandler>());
    }

    /// <summary>
    /// The connection string with <see cref="ConnectTimeoutSeconds"/> as its Timeout and <see cref="MaxPoolSize"/> as
    /// its Maximum Pool Size, each unless it sets its own.
    /// </summary>
    public static string? WithConnectionDefaults(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }

        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!parts.ContainsKey("Timeout"))
        {
            parts["Timeout"] = ConnectTimeoutSeconds;
        }

        if (!MaxPoolSizeKeywords.Any(parts.ContainsKey))
        {
            parts["Maximum Pool Size"] = MaxPoolSize;
        }

        return parts.ConnectionString;
    }
}

/// <summary>
/// Npgsql's retry strategy (its list of transient errors, EF Core's growing delays capped at <paramref name="maxDelay"/>),
/// limited by time instead of by count: no retry starts past <paramref name="budget"/> from the first attempt.
/// </summary>
public sealed class BudgetedRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies, TimeSpan budget, TimeSpan maxDelay)
    : NpgsqlRetryingExecutionStrategy(dependencies, maxRetryCount: 100, maxDelay, errorCodesToAdd: null)
{
    private long _firstAttempt = Stopwatch.GetTimestamp();

    protected override void OnFirstExecution()
    {
        base.OnFirstExecution();
        _firstAttempt = Stopwatch.GetTimestamp();
    }

    protected override TimeSpan? GetNextDelay(Exception lastException)
        => base.GetNextDelay(lastException) is { } delay && Stopwatch.GetElapsedTime(_firstAttempt) + delay <= budget ? delay : null;
}
