using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// Listens to the user service's revocation channel and evicts what each event names, in this instance and in Redis,
/// and keeps the <see cref="RevocationChannel"/>'s liveness: a dropped connection makes it down at once; a probe on
/// the subscription's own connection every <see cref="TokenValidationOptions.RevocationProbeInterval"/> (bounded)
/// shows a hung Redis, which keeps connections open and answers nothing. A warning is logged when the channel goes
/// down and when it comes back.
/// </summary>
internal sealed partial class RevocationSubscriber(
    IConnectionMultiplexer redis,
    RevocationLedger ledger,
    RevocationChannel channel,
    RevocationTelemetry telemetry,
    IOptions<TokenValidationOptions> options,
    TimeProvider timeProvider,
    ILogger<RevocationSubscriber> logger) : IHostedService, IDisposable
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RevocationContract.Channel);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _reportLock = new();
    private volatile bool _subscribed;
    private Task? _probing;
    private bool _reportedAlive;
    private DateTimeOffset _downSince;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        await TrySubscribeAsync();
        _reportedAlive = channel.IsAlive(timeProvider.GetUtcNow());
        _downSince = timeProvider.GetUtcNow();
        _probing = ProbeAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        await _stopping.CancelAsync();
        if (_probing is not null)
        {
            await _probing.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_subscribed)
        {
            await redis.GetSubscriber().UnsubscribeAsync(Channel);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task TrySubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnRevocation(message));
            _subscribed = true;
            ledger.ChannelRestored();
            LogSubscribed();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Not subscribed means not told: the channel stays down until the subscription exists.
            ledger.ChannelBroken();
            LogSubscribeFailed(exception);
        }
    }

    /// <summary>
    /// Pings the subscription's connection (the one events arrive on) at every interval; an answer within the
    /// silence limit is a sign of life. Also where the channel's changes of state are logged.
    /// </summary>
    private async Task ProbeAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = timeProvider.GetTimestamp();
            if (_subscribed && !channel.IsBroken)
            {
                try
                {
                    await redis.GetSubscriber().PingAsync().WaitAsync(settings.RevocationSilenceLimit, timeProvider, stoppingToken);
                    ledger.ChannelHeard();
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception) when (exception is RedisException or TimeoutException)
                {
                    // Silence: the channel goes down once the silence limit has passed since it was last heard.
                }
            }

            ReportStateChange();
            var wait = settings.RevocationProbeInterval - timeProvider.GetElapsedTime(started);
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, timeProvider, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void ReportStateChange()
    {
        lock (_reportLock)
        {
            var now = timeProvider.GetUtcNow();
            var alive = channel.IsAlive(now);
            if (alive != _reportedAlive)
            {
                _reportedAlive = alive;
                Report(alive, now);
            }
        }
    }

    private void Report(bool alive, DateTimeOffset now)
    {
        if (alive)
        {
            LogChannelBack(now - _downSince);
        }
        else
        {
            _downSince = channel.LastHeard is { } lastHeard && !channel.IsBroken ? lastHeard : now;
            LogChannelDown(channel.IsBroken ? "its connection broke" : "it was silent", channel.LastHeard, options.Value.DegradedStalenessBound);
        }
    }

    private void OnRevocation(RedisValue message)
    {
        ledger.ChannelHeard();
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
        if (args.ConnectionType == ConnectionType.Subscription)
        {
            ledger.ChannelBroken();
            ReportStateChange();
        }

        LogConnectionFailed(args.ConnectionType, args.FailureType);
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
            ledger.ChannelRestored();
            LogResumed(args.ConnectionType);
        }
    }

    [LoggerMessage(LogLevel.Information, "Subscribed to revocation events")]
    private partial void LogSubscribed();

    [LoggerMessage(LogLevel.Warning, "Could not subscribe to revocation events; cached tokens are served only within the degraded bound until Redis is back")]
    private partial void LogSubscribeFailed(Exception exception);

    [LoggerMessage(LogLevel.Information, "Revocation of {What}: {Evicted} in-process entries evicted, {DeliveryMs} ms after publication")]
    private partial void LogRevocation(string what, int evicted, long deliveryMs);

    [LoggerMessage(LogLevel.Warning, "Revocation channel down ({Reason}; last heard {LastHeard:O}): cached tokens are served at most {Bound} past their introspection or that time")]
    private partial void LogChannelDown(string reason, DateTimeOffset? lastHeard, TimeSpan bound);

    [LoggerMessage(LogLevel.Warning, "Revocation channel back after {Down}: in-process token cache restarted empty")]
    private partial void LogChannelBack(TimeSpan down);

    [LoggerMessage(LogLevel.Warning, "Redis connection {ConnectionType} failed ({FailureType})")]
    private partial void LogConnectionFailed(ConnectionType connectionType, ConnectionFailureType failureType);

    [LoggerMessage(LogLevel.Information, "Redis connection {ConnectionType} restored: resubscribed, in-process token cache restarted empty")]
    private partial void LogResumed(ConnectionType connectionType);
}
