using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Database;

/// <summary>
/// Migrates and seeds in the background so the service answers /health (503, not ready) meanwhile; retries with a
/// growing delay while the database is not reachable yet, since a service may start before PostgreSQL accepts.
/// </summary>
internal sealed partial class DatabaseMigrationService<TContext>(
    IServiceProvider services,
    DatabaseMigrationStatus<TContext> status,
    ILogger<DatabaseMigrationService<TContext>> logger) : BackgroundService
    where TContext : DbContext
{
    private static readonly ActivitySource ActivitySource = new("Blog.Migrations");
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The advisory lock key migrations hold (per database, so one constant serves every service).</summary>
    private const long MigrationLockKey = 0x426C_6F67_4D69_67; // "BlogMig"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var activity = ActivitySource.StartActivity($"Migrate {typeof(TContext).Name}");
            try
            {
                await MigrateAndSeedAsync(stoppingToken);
                status.Completed();
                LogMigrated(typeof(TContext).Name);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                activity?.AddException(exception);
                status.Failed(exception.Message);
                LogMigrationFailed(exception, typeof(TContext).Name, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task MigrateAndSeedAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var strategy = context.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            // Replicas of one service start together: they migrate and seed one at a time (a session lock on this
            // connection), so the second finds everything applied instead of racing the first.
            await context.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
                // EF Core's migrator reads the history table before creating it, and logs that failed read at Error on
                // every fresh database; creating it first keeps a clean start free of errors.
                await context.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                await context.Database.MigrateAsync(cancellationToken);
                foreach (var seeder in scope.ServiceProvider.GetServices<IDatabaseSeeder<TContext>>())
                {
                    await seeder.SeedAsync(context, cancellationToken);
                }
            }
            finally
            {
                // Unlocked explicitly: a pooled connection's session outlives Close. (A broken connection's session is
                // gone, and its lock with it.)
                try
                {
                    await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
                }
                finally
                {
                    await context.Database.CloseConnectionAsync();
                }
            }
        });
    }

    [LoggerMessage(LogLevel.Information, "Database of {Context} migrated and seeded")]
    private partial void LogMigrated(string context);

    [LoggerMessage(LogLevel.Warning, "Migrating the database of {Context} failed; retrying in {Delay}")]
    private partial void LogMigrationFailed(Exception exception, string context, TimeSpan delay);
}
