using Blog.ServiceDefaults.Revocation;
using Blog.ServiceDefaults.Security;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.UserService.Authorization;

/// <summary>
/// Tells every post service instance about a revocation: first a marker in Redis (so a cache write that races the
/// event still sees it), then an event on the pub/sub channel (so every instance evicts at once). The revocation in
/// the database has already happened: a Redis failure is logged and counted, and never undoes or fails it.
/// </summary>
public sealed partial class RevocationPublisher(
    IConnectionMultiplexer redis,
    IOptions<AuthorizationServerOptions> options,
    TimeProvider timeProvider,
    RevocationTelemetry telemetry,
    ILogger<RevocationPublisher> logger)
{
    public Task PublishTokenRevokedAsync(string token)
    {
        var hash = TokenHash.Compute(token);
        return PublishAsync(RevocationContract.RevokedTokenKey(hash.Hex), new RevocationEvent(hash.Hex, null, 0, 0), hash.TokenId);
    }

    public Task PublishSubjectRevokedAsync(string subject)
        => PublishAsync(RevocationContract.RevokedSubjectKey(subject), new RevocationEvent(null, subject, 0, 0), $"subject {subject}");

    public Task PublishAuthorizationRevokedAsync(string authorizationId)
        => PublishAsync(RevocationContract.RevokedAuthorizationKey(authorizationId), new RevocationEvent(null, null, 0, 0, authorizationId), $"authorization {authorizationId}");

    private async Task PublishAsync(string markerKey, RevocationEvent revocation, string what)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        revocation = revocation with { NotBeforeUnixMs = now, PublishedUnixMs = now };
        try
        {
            // Marker and event in one round trip, in that order. A cached entry can live no longer than the access
            // token it stands for: nor need the marker.
            var receivers = (long)await redis.GetDatabase().ScriptEvaluateAsync(MarkAndPublishScript,
                [markerKey],
                [now, (long)options.Value.AccessTokenLifetime.TotalMilliseconds, RevocationContract.Channel, RevocationContract.Serialize(revocation)]);
            telemetry.Published();
            LogPublished(what, receivers);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            telemetry.PublishFailed();
            LogPublishFailed(exception, what);
        }
    }

    // KEYS: marker. ARGV: revocation time (Unix ms), marker lifetime (ms), channel, event. Returns the receivers.
    private const string MarkAndPublishScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return redis.call('PUBLISH', ARGV[3], ARGV[4])
        """;

    [LoggerMessage(LogLevel.Information, "Published the revocation of {What} to {Receivers} subscribers")]
    private partial void LogPublished(string what, long receivers);

    [LoggerMessage(LogLevel.Error, "Could not publish the revocation of {What}: caches keep it until their entries expire")]
    private partial void LogPublishFailed(Exception exception, string what);
}
