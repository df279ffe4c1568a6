using System.Diagnostics;
using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.Options;
using Blog.ServiceDefaults.RateLimiting;
using StackExchange.Redis;
using static Blog.PostService.Authentication.RedisTokenScripts;

namespace Blog.PostService.Authentication;

/// <summary>
/// The Redis level of the token cache: shared by every replica, it survives a restart of one. Reads are bounded by
/// <see cref="TokenValidationOptions.RedisTimeout"/> and checked against the user service's revocation markers;
/// writes are fire-and-forget scripts that refuse a revoked token. A Redis failure never fails a request: a read
/// reports a miss (the caller introspects), a write is dropped, each with a count and a throttled warning.
/// Redis can deny, never grant: every entry is sealed (<see cref="CacheEntrySeal"/>) and bounded again when read, and
/// one that fails either is a miss, counted and warned about at most once a minute.
/// </summary>
public sealed partial class RedisTokenStore(
    IConnectionMultiplexer redis,
    IOptions<TokenValidationOptions> options,
    CacheEntrySeal seal,
    IntrospectionTelemetry telemetry,
    RedisFallbackReporter fallback,
    TimeProvider timeProvider,
    ILogger<RedisTokenStore> logger)
{
    private readonly TokenValidationOptions _options = options.Value;
    private readonly ThrottledWarning _refusalWarning = new(timeProvider);

    /// <summary>
    /// The entry of <paramref name="hash"/>, unless it is past its end or the token's exp, revoked in this instance
    /// (<paramref name="revokedHere"/>, asked before the markers' round trip) or marked revoked in Redis.
    /// </summary>
    public async Task<CachedIntrospection?> GetAsync(TokenHash hash, Func<CachedIntrospection, bool> revokedHere, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            fallback.Report("disconnected", exception: null);
            telemetry.Miss();
            return null;
        }

        using var activity = IntrospectionTelemetry.ActivitySource.StartActivity("token cache redis lookup");
        activity?.SetTag("blog.token.id", hash.TokenId);
        try
        {
            var database = redis.GetDatabase();
            // The entry and the token's revocation marker in one round trip: the marker refuses an entry that a
            // revocation event should have deleted but no instance heard (every subscription down at that moment).
            // The subject's and the login's markers, named by the entry, need a second one.
            var found = await database
                .StringGetAsync([hash.ToCacheKey(_options.CacheKeyPrefix), RevocationContract.RevokedTokenKey(hash.Hex)])
                .WaitAsync(_options.RedisTimeout, cancellationToken);
            var entry = found[0].HasValue ? Open(hash, (byte[])found[0]!) : null;
            if (entry is null || !entry.IsUsableAt(timeProvider.GetUtcNow()) || revokedHere(entry) || found[1].HasValue
                || await IsMarkedRevokedAsync(database, entry, cancellationToken))
            {
                activity?.SetTag("blog.token_cache.result", "miss");
                telemetry.Miss();
                return null;
            }

            activity?.SetTag("blog.token_cache.result", "hit");
            telemetry.Hit(CacheLevel.Redis);
            return entry;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            fallback.Report(exception is TimeoutException ? "timeout" : "error", exception);
            telemetry.Miss();
            return null;
        }
    }

    /// <summary>The entry if its seal verifies and it can be bounded again; otherwise null, counted and (throttled) logged.</summary>
    private CachedIntrospection? Open(TokenHash hash, byte[] value)
    {
        string reason;
        if (seal.Open(hash, value) is not { } entry)
        {
            reason = "seal";
        }
        else if (entry.Recapped(_options.CacheMaxLifetime) is { } bounded)
        {
            return bounded;
        }
        else
        {
            reason = "unbounded";
        }

        telemetry.RefusedEntry(reason);
        if (_refusalWarning.ShouldLog())
        {
            LogRefusedEntry(hash.TokenId, reason);
        }

        return null;
    }

    /// <summary>
    /// Whether the user service marked every token of the entry's subject issued before some time revoked (the same
    /// rule as the store script: a marker later than the token's issue time), or every token of the entry's login.
    /// </summary>
    private async Task<bool> IsMarkedRevokedAsync(IDatabase database, CachedIntrospection entry, CancellationToken cancellationToken)
    {
        if (entry.Subject is null && entry.AuthorizationId is null)
        {
            return false;
        }

        var markers = await database
            .StringGetAsync([RevocationContract.RevokedSubjectKey(entry.Subject ?? ""), RevocationContract.RevokedAuthorizationKey(entry.AuthorizationId ?? "")])
            .WaitAsync(_options.RedisTimeout, cancellationToken);
        return (entry.Subject is not null && markers[0].TryParse(out long notBeforeUnixMs) && notBeforeUnixMs > (entry.IssuedAt?.ToUnixTimeMilliseconds() ?? 0))
            || (entry.AuthorizationId is not null && markers[1].HasValue);
    }

    /// <summary>Writes the entry for <paramref name="lifetime"/>, fire-and-forget: a request never waits for it.</summary>
    public void Store(TokenHash hash, CachedIntrospection entry, TimeSpan lifetime)
    {
        if (!redis.IsConnected)
        {
            fallback.Report("disconnected", exception: null);
            return;
        }

        try
        {
            // One script: refuses the write once the user service has marked the token, its subject or its login
            // revoked, and indexes the entry under its subject and its login so that a revocation of either finds it
            // without scanning Redis.
            redis.GetDatabase().ScriptEvaluate(RedisTokenScripts.Store,
                StoreKeys(_options.CacheKeyPrefix, hash, entry), StoreArguments(hash, entry, seal.Seal(hash, entry), lifetime), CommandFlags.FireAndForget);
        }
        catch (Exception exception)
        {
            fallback.Report("error", exception);
        }
    }

    /// <summary>Deletes what a revocation names: the token's entry, or every entry of the subject or the login (through its index).</summary>
    public void Delete(RevocationEvent revocation)
    {
        if (!redis.IsConnected)
        {
            return; // a Redis that restarted is empty; one that stayed up gets the deletions from the other instances
        }

        try
        {
            var database = redis.GetDatabase();
            if (revocation.TokenHash is { } tokenHash)
            {
                database.KeyDelete(new TokenHash(tokenHash).ToCacheKey(_options.CacheKeyPrefix), CommandFlags.FireAndForget);
            }

            if (revocation.Subject is { } subject)
            {
                database.ScriptEvaluate(DeleteIndexed, [SubjectIndexKey(_options.CacheKeyPrefix, subject)], [_options.CacheKeyPrefix], CommandFlags.FireAndForget);
            }

            if (revocation.AuthorizationId is { } authorizationId)
            {
                database.ScriptEvaluate(DeleteIndexed, [AuthorizationIndexKey(_options.CacheKeyPrefix, authorizationId)], [_options.CacheKeyPrefix], CommandFlags.FireAndForget);
            }
        }
        catch (Exception exception)
        {
            fallback.Report("error", exception);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Refused the Redis entry of token {TokenId} ({Reason}): this service did not write it as it is; the token is introspected instead. Something other than the post service writes to its keys")]
    private partial void LogRefusedEntry(string tokenId, string reason);
}
