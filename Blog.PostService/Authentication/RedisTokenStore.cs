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
    // Concurrent lookups of one token share one Redis read, as an introspection is shared (HybridCache does the same).
    private readonly SingleFlight<CachedIntrospection?> _reads = new();

    /// <summary>
    /// The entry of <paramref name="hash"/>, unless it is past its end or the token's exp, revoked in this instance
    /// (<paramref name="revokedHere"/>) or marked revoked in Redis (the token, its subject or its login). One round trip,
    /// shared by the concurrent lookups of one token in this instance.
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
            var (entry, _) = await _reads.RunAsync(hash.Hex, () => ReadAsync(hash), cancellationToken);
            if (entry is null || !entry.IsUsableAt(timeProvider.GetUtcNow()) || revokedHere(entry))
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

    /// <summary>
    /// The entry and every revocation marker that concerns it, in one script that cannot write (<see cref="RedisTokenScripts.Read"/>):
    /// the token's marker refuses an entry that a revocation event should have deleted but no instance heard (every
    /// subscription down at that moment), the subject's marker every token of the subject issued before it (the same
    /// rule as the store script), the login's marker every token of the login. Not cancelled by the request that
    /// started it, since others may share it; bounded by <see cref="TokenValidationOptions.RedisTimeout"/>.
    /// </summary>
    private async Task<CachedIntrospection?> ReadAsync(TokenHash hash)
    {
        var reply = await redis.GetDatabase()
            .ScriptEvaluateAsync(RedisTokenScripts.Read, ReadKeys(_options.CacheKeyPrefix, hash), ReadArguments(hash))
            .WaitAsync(_options.RedisTimeout);
        if (reply.IsNull || (RedisResult[]?)reply is not { Length: 4 } found || found[ReadEntry].IsNull || Open(hash, (byte[])found[ReadEntry]!) is not { } entry)
        {
            return null;
        }

        var subjectMarked = entry.Subject is not null && ((RedisValue)found[ReadSubjectMarker]).TryParse(out long notBeforeUnixMs)
            && notBeforeUnixMs > (entry.IssuedAt?.ToUnixTimeMilliseconds() ?? 0);
        var loginMarked = entry.AuthorizationId is not null && !found[ReadLoginMarker].IsNull;
        return found[ReadTokenMarker].IsNull && !subjectMarked && !loginMarked ? entry : null;
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
