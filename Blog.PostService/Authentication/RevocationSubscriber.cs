using Blog.ServiceDefaults.Revocation;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// Listens to the user service's revocation channel and evicts what each event names, in this instance and in Redis.
/// When the connection to Redis drops, the in-process level is suspended (events could be missed meanwhile) and it
/// restarts empty once the subscription is back.
/// </summary>
internal sealed partial class RevocationSubscriber(
    IConnectionMultiplexer redis,
    RevocationLedger ledger,
    RevocationTelemetry telemetry,
    TimeProvider timeProvider,
    ILogger<RevocationSubscriber> logger) : IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RevocationContract.Channel);
    private volatile bool _subscribed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        await TrySubscribeAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        if (_subscribed)
        {
            await redis.GetSubscriber().UnsubscribeAsync(Channel);
        }
    }

    private async Task TrySubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnRevocation(message));
            _subscribed = true;
            ledger.ResumeLocal();
            LogSubscribed();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Not subscribed means not told: keep the in-process level off until the subscription exists.
            ledger.SuspendLocal();
            LogSubscribeFailed(exception);
        }
    }

    private void OnRevocation(RedisValue message)
    {
        var revocation = message.HasValue ? RevocationContract.Deserialize(message.ToString()) : null;
        if (revocation is null)
        {
            return;
        }

        var evicted = ledger.Revoke(revocation);
        var delivery = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - revocation.PublishedUnixMs;
        telemetry.Received(delivery);
        telemetry.Evicted(evicted, "memory");
        LogRevocation(revocation switch
        {
            { TokenHash: { } hash } => $"token {new TokenHash(hash).TokenId}",
            { AuthorizationId: { } authorizationId } => $"authorization {authorizationId}",
            _ => $"subject {revocation.Subject}",
        }, evicted, delivery);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs args)
    {
        ledger.SuspendLocal();
        LogSuspended(args.ConnectionType, args.FailureType);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs args)
    {
        if (!_subscribed)
        {
            _ = TrySubscribeAsync();
        }
        else if (redis.GetSubscriber().IsConnected(Channel))
        {
            // StackExchange.Redis has resubscribed by itself; what was cached before the break may be stale.
            ledger.ResumeLocal();
            LogResumed(args.ConnectionType);
        }
    }

    [LoggerMessage(LogLevel.Information, "Subscribed to revocation events")]
    private partial void LogSubscribed();

    [LoggerMessage(LogLevel.Warning, "Could not subscribe to revocation events; the in-process token cache stays off until Redis is back")]
    private partial void LogSubscribeFailed(Exception exception);

    [LoggerMessage(LogLevel.Information, "Revocation of {What}: {Evicted} in-process entries evicted, {DeliveryMs} ms after publication")]
    private partial void LogRevocation(string what, int evicted, long deliveryMs);

    [LoggerMessage(LogLevel.Warning, "Redis connection {ConnectionType} failed ({FailureType}): in-process token cache suspended")]
    private partial void LogSuspended(ConnectionType connectionType, ConnectionFailureType failureType);

    [LoggerMessage(LogLevel.Information, "Redis connection {ConnectionType} restored: in-process token cache restarted empty")]
    private partial void LogResumed(ConnectionType connectionType);
}
