using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.Revocation;
using Blog.UserService.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Blog.UserService.Authorization;

/// <summary>
/// Delivers the revocations that Redis could not take when they happened (rows left in the outbox), with growing
/// delays between attempts, once Redis takes them again. Safe with several user service instances: each takes its
/// rows with FOR UPDATE SKIP LOCKED and deletes them in the same transaction, so two instances never hold the same
/// row (and a repeated delivery would be harmless anyway: markers and events are idempotent).
/// </summary>
public sealed partial class RevocationOutboxDelivery(
    IServiceScopeFactory scopes,
    RevocationPublisher publisher,
    DatabaseMigrationStatus<UsersDbContext> migrations,
    TimeProvider timeProvider,
    RevocationTelemetry telemetry,
    ILogger<RevocationOutboxDelivery> logger) : BackgroundService
{
    /// <summary>How often the outbox is looked at: bounds how late a delivery is once Redis is back (plus the row's delay).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan DatabaseRetryDelay = TimeSpan.FromSeconds(10);

    private const int BatchSize = 100;

    /// <summary>1 s after the first failed attempt, doubling, at most <see cref="MaxRetryDelay"/>.</summary>
    public static TimeSpan RetryDelay(int attempts)
        => TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Clamp(attempts, 1, 16) - 1)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var delay = PollInterval;
            try
            {
                // The table may not exist before the migrations have run.
                if (migrations.IsComplete)
                {
                    await DeliverDueAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database is away: the rows wait for it, and so does this loop.
                LogDeliveryFailed(exception);
                delay = DatabaseRetryDelay;
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the rows that are due; returns how many were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<UsersDbContext>();
        var delivered = await database.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            database.ChangeTracker.Clear();
            await using var transaction = await database.Database.BeginTransactionAsync(cancellationToken);
            var now = timeProvider.GetUtcNow();
            var due = await database.RevocationOutbox
                .FromSql($"""
                    SELECT * FROM "RevocationOutbox" WHERE "NextAttemptAt" <= {now}
                    ORDER BY "Id" LIMIT {BatchSize} FOR UPDATE SKIP LOCKED
                    """)
                .ToListAsync(cancellationToken);

            var count = 0;
            DateTimeOffset? retryAt = null;
            foreach (var message in due)
            {
                if (retryAt is not null)
                {
                    // Redis refused the one before: this one waits as long, without counting an attempt of its own.
                    message.NextAttemptAt = retryAt.Value;
                }
                else if (await publisher.TryDeliverAsync(message, RevocationPublisher.Describe(message), cancellationToken))
                {
                    database.RevocationOutbox.Remove(message);
                    telemetry.OutboxDelivered();
                    LogDelivered(RevocationPublisher.Describe(message), message.Attempts, now - message.RevokedAt);
                    count++;
                }
                else
                {
                    message.Attempts++;
                    retryAt = timeProvider.GetUtcNow() + RetryDelay(message.Attempts);
                    message.NextAttemptAt = retryAt.Value;
                }
            }

            await database.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return count;
        });

        telemetry.OutboxPending(await database.RevocationOutbox.LongCountAsync(cancellationToken));
        return delivered;
    }

    [LoggerMessage(LogLevel.Information, "Delivered the revocation of {What} from the outbox after {Attempts} failed attempts, {Delay} after it happened")]
    private partial void LogDelivered(string what, int attempts, TimeSpan delay);

    [LoggerMessage(LogLevel.Warning, "Could not read the revocation outbox; trying again later")]
    private partial void LogDeliveryFailed(Exception exception);
}
