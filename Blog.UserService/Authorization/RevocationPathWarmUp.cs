using Blog.ServiceDefaults.Database;
using Blog.UserService.Infrastructure;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

/// <summary>
/// Runs, once after start, the database statements of a revocation (the outbox row written, updated and deleted, a
/// token entry created and revoked, token and authorization lookups) inside a transaction that is rolled back, so
/// nothing is stored or published. Without it the first revocations after a start paid for compiling these queries
/// (EF Core compiles each query shape on its first use) and ran in unoptimized code: several times slower than later ones.
/// </summary>
public sealed partial class RevocationPathWarmUp(
    IServiceScopeFactory scopes,
    DatabaseMigrationStatus<UsersDbContext> migrations,
    TimeProvider timeProvider,
    ILogger<RevocationPathWarmUp> logger) : BackgroundService
{
    private static readonly TimeSpan MigrationPoll = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!migrations.IsComplete)
            {
                await Task.Delay(MigrationPoll, timeProvider, stoppingToken);
            }

            var started = timeProvider.GetTimestamp();
            await RunOnceAsync(stoppingToken);
            LogWarmedUp(timeProvider.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            // Only the first revocations are slower without it.
            LogWarmUpFailed(exception);
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<UsersDbContext>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();

        await tokens.FindByIdAsync(Guid.NewGuid().ToString(), cancellationToken);
        await authorizations.FindByIdAsync(Guid.NewGuid().ToString(), cancellationToken);

        await database.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            database.ChangeTracker.Clear();
            await using var transaction = await database.Database.BeginTransactionAsync(cancellationToken);
            var now = timeProvider.GetUtcNow();

            // As RevocationPublisher writes, updates and deletes its row (the same query shapes).
            var message = new RevocationOutboxMessage { MarkerKey = "warm-up", Event = "{}", RevokedAt = now, NextAttemptAt = now };
            database.RevocationOutbox.Add(message);
            await database.SaveChangesAsync(cancellationToken);
            var retryAt = now;
            await database.RevocationOutbox.Where(row => row.Id == message.Id)
                .ExecuteUpdateAsync(row => row.SetProperty(m => m.Attempts, 1).SetProperty(m => m.NextAttemptAt, retryAt), cancellationToken);
            await database.RevocationOutbox.Where(row => row.Id == message.Id).ExecuteDeleteAsync(cancellationToken);

            // As OpenIddict marks a token entry revoked.
            var token = await tokens.CreateAsync(new OpenIddictTokenDescriptor
            {
                Type = TokenTypeIdentifiers.AccessToken,
                Status = Statuses.Valid,
                Subject = "warm-up",
                CreationDate = now,
                ExpirationDate = now,
            }, cancellationToken);
            await tokens.TryRevokeAsync(token, cancellationToken);

            await transaction.RollbackAsync(cancellationToken);
        });
    }

    [LoggerMessage(LogLevel.Information, "Ran the revocation path's database statements once (rolled back) in {Milliseconds} ms")]
    private partial void LogWarmedUp(double milliseconds);

    [LoggerMessage(LogLevel.Warning, "Could not run the revocation path's database statements ahead of the first revocation")]
    private partial void LogWarmUpFailed(Exception exception);
}
