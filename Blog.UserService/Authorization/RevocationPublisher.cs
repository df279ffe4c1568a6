using System.Runtime.ExceptionServices;
using Blog.ServiceDefaults.Revocation;
using Blog.ServiceDefaults.Security;
using Blog.UserService.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.UserService.Authorization;

/// <summary>
/// Tells every post service instance about a revocation: first a marker in Redis (so a cache write that races the
/// event still sees it), then an event on the pub/sub channel (so every instance evicts at once). Nothing is lost
/// when Redis cannot take it: a revocation already written to the database (a user's, a login's) is first written to
/// the outbox in the user service's database, then published at once and deleted; the revocation endpoint's, written
/// only after its publication, goes to the outbox only if Redis refused it. What Redis refused stays there for
/// <see cref="RevocationOutboxDelivery"/>.
/// </summary>
public sealed partial class RevocationPublisher(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<AuthorizationServerOptions> options,
    TimeProvider timeProvider,
    RevocationTelemetry telemetry,
    ILogger<RevocationPublisher> logger)
{
    /// <summary>
    /// How long a new outbox row belongs to the request that wrote it, which publishes it at once: the background
    /// delivery takes it only later, so that both do not publish the same revocation (harmless, but wasted).
    /// </summary>
    internal static readonly TimeSpan ImmediateAttemptGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The revocation endpoint's publication: Redis first, the outbox only for what Redis did not take (written before
    /// this returns). Nothing is written before it (the token entry is marked revoked after), so a crash before the
    /// publication loses nothing that was decided, and a revocation Redis took needs no row: two database round trips
    /// fewer inside every revocation's answer.
    /// </summary>
    public async Task PublishTokenRevokedAsync(string token)
    {
        var hash = TokenHash.Compute(token);
        var message = NewMessage(RevocationContract.RevokedTokenKey(hash.Hex), new RevocationEvent(hash.Hex, null, 0, 0));
        if (await TryDeliverAsync(message, hash.TokenId, CancellationToken.None))
        {
            return;
        }

        // As a row whose first publication failed: the background delivery retries it after the first delay.
        message.Attempts = 1;
        message.NextAttemptAt = timeProvider.GetUtcNow() + RevocationOutboxDelivery.RetryDelay(attempts: 1);
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<UsersDbContext>();
        try
        {
            database.RevocationOutbox.Add(message);
            await database.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogNotStored(exception, hash.TokenId, published: false);
            throw;
        }

        LogQueued(hash.TokenId);
    }

    public Task PublishSubjectRevokedAsync(string subject)
        => PublishAsync(RevocationContract.RevokedSubjectKey(subject), new RevocationEvent(null, subject, 0, 0), $"subject {subject}");

    public Task PublishAuthorizationRevokedAsync(string authorizationId)
        => PublishAsync(RevocationContract.RevokedAuthorizationKey(authorizationId), new RevocationEvent(null, null, 0, 0, authorizationId), $"authorization {authorizationId}");

    private async Task PublishAsync(string markerKey, RevocationEvent revocation, string what)
    {
        // Not the request's token: once decided, a revocation is delivered even if its caller has gone away.
        var cancellationToken = CancellationToken.None;
        var message = NewMessage(markerKey, revocation);

        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<UsersDbContext>();
        Exception? notStored = null;
        try
        {
            database.RevocationOutbox.Add(message);
            await database.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The caches still hear of it if Redis can take it; the caller is told the revocation failed either way.
            notStored = exception;
        }

        var delivered = await TryDeliverAsync(message, what, cancellationToken);
        if (notStored is not null)
        {
            LogNotStored(notStored, what, delivered);
            ExceptionDispatchInfo.Throw(notStored);
        }

        try
        {
            if (delivered)
            {
                await database.RevocationOutbox.Where(row => row.Id == message.Id).ExecuteDeleteAsync(cancellationToken);
            }
            else
            {
                // Redis is not taking revocations now: the background delivery retries soon rather than after the grace.
                var retryAt = timeProvider.GetUtcNow() + RevocationOutboxDelivery.RetryDelay(attempts: 1);
                await database.RevocationOutbox.Where(row => row.Id == message.Id)
                    .ExecuteUpdateAsync(row => row.SetProperty(m => m.Attempts, 1).SetProperty(m => m.NextAttemptAt, retryAt), cancellationToken);
                LogQueued(what);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The row is stored: whatever this step could not record, the background delivery does (again) later.
            LogOutboxUpdateFailed(exception, what);
        }
    }

    /// <summary>The outbox row of a revocation decided now, left to the request that publishes it for the grace.</summary>
    private RevocationOutboxMessage NewMessage(string markerKey, RevocationEvent revocation)
    {
        var revokedAt = timeProvider.GetUtcNow();
        return new RevocationOutboxMessage
        {
            MarkerKey = markerKey,
            Event = RevocationContract.Serialize(revocation with { NotBeforeUnixMs = revokedAt.ToUnixTimeMilliseconds(), PublishedUnixMs = 0 }),
            RevokedAt = revokedAt,
            NextAttemptAt = revokedAt + ImmediateAttemptGrace,
        };
    }

    /// <summary>
    /// Sets the marker and publishes the event of an outbox row; true once Redis took both (or nothing is left to
    /// tell: every token the revocation names has expired). Safe to repeat: an instance applies an event twice alike,
    /// and a marker never moves back to an earlier revocation.
    /// </summary>
    internal async Task<bool> TryDeliverAsync(RevocationOutboxMessage message, string what, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        // A cached entry can live no longer than the access token it stands for: nor need the marker, counted from
        // the revocation (a token issued before it expires before this).
        var markerLifetime = message.RevokedAt + options.Value.AccessTokenLifetime - now;
        if (markerLifetime <= TimeSpan.Zero)
        {
            LogExpiredBeforeDelivery(what);
            return true;
        }

        var revocation = (RevocationContract.Deserialize(message.Event) ?? throw new InvalidOperationException($"Outbox row {message.Id} holds no revocation event."))
            with { PublishedUnixMs = now.ToUnixTimeMilliseconds() };
        try
        {
            // Marker and event in one round trip, in that order.
            var receivers = (long)await redis.GetDatabase().ScriptEvaluateAsync(MarkAndPublishScript,
                    [message.MarkerKey],
                    [message.RevokedAt.ToUnixTimeMilliseconds(), (long)markerLifetime.TotalMilliseconds, RevocationContract.Channel, RevocationContract.Serialize(revocation)])
                .WaitAsync(options.Value.RevocationPublishTimeout, timeProvider, cancellationToken);
            telemetry.Published();
            LogPublished(what, receivers);
            return true;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            telemetry.PublishFailed();
            LogPublishFailed(exception, what);
            return false;
        }
    }

    /// <summary>What the logs call the revocation of an outbox row: the token's id (never the token) or the subject.</summary>
    internal static string Describe(RevocationOutboxMessage message)
        => RevocationContract.Deserialize(message.Event) switch
        {
            { TokenHash: { } hash } => new TokenHash(hash).TokenId,
            { Subject: { } subject } => $"subject {subject}",
            { AuthorizationId: { } authorization } => $"authorization {authorization}",
            _ => $"outbox row {message.Id}",
        };

    // KEYS: marker. ARGV: revocation time (Unix ms), marker lifetime (ms), channel, event. Returns the receivers.
    // A marker already holding a later revocation stays (a delayed delivery must not shorten a subject's "not before").
    private const string MarkAndPublishScript = """
        local current = redis.call('GET', KEYS[1])
        if not current or tonumber(current) < tonumber(ARGV[1]) then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        end
        return redis.call('PUBLISH', ARGV[3], ARGV[4])
        """;

    [LoggerMessage(LogLevel.Information, "Published the revocation of {What} to {Receivers} subscribers")]
    private partial void LogPublished(string what, long receivers);

    [LoggerMessage(LogLevel.Warning, "Could not publish the revocation of {What}")]
    private partial void LogPublishFailed(Exception exception, string what);

    [LoggerMessage(LogLevel.Warning, "The revocation of {What} waits in the outbox until Redis takes it")]
    private partial void LogQueued(string what);

    [LoggerMessage(LogLevel.Information, "The revocation of {What} need not be delivered any more: every token it names has expired")]
    private partial void LogExpiredBeforeDelivery(string what);

    [LoggerMessage(LogLevel.Warning, "Could not update the outbox row of the revocation of {What}; the background delivery takes it later")]
    private partial void LogOutboxUpdateFailed(Exception exception, string what);

    [LoggerMessage(LogLevel.Error, "Could not write the revocation of {What} to the outbox (published at once: {Published}); the revoking request fails")]
    private partial void LogNotStored(Exception exception, string what, bool published);
}
