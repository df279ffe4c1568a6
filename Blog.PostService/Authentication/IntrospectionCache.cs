using System.Collections.Concurrent;
using System.Diagnostics;
using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// Two levels of introspection results, keyed by the token's hash: a bounded in-process level (what the hot path
/// reads) in front of Redis (shared by every replica, survives a restart of one). Inactive or invalid tokens are
/// remembered only in a small, short-lived in-process set, never in Redis, so junk tokens cannot grow Redis.
/// Redis failures never fail a request: the lookup reports a miss (the caller introspects), with a warning and a count.
/// Revocation events (<see cref="Revoke"/>: one token, every token of a subject, or every token of a login) evict
/// entries from both levels and are remembered for as long as an entry could outlive them, so that neither a racing
/// write nor a later hit brings a revoked token back. While the revocation channel is down
/// (<see cref="SuspendLocal"/>), the in-process level is bypassed, since it would miss events.
/// </summary>
public sealed partial class IntrospectionCache : IDisposable
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    private readonly IConnectionMultiplexer _redis;
    private readonly TokenValidationOptions _options;
    private readonly IntrospectionTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<IntrospectionCache> _logger;
    private readonly MemoryCache _entries;
    private readonly MemoryCache _invalidTokens;
    private long _lastWarningTimestamp;
    private long _suppressedWarnings;

    // Revocations this instance heard of: token hash -> when, subject -> every token issued before is revoked, and
    // login (authorization id) -> when every token of it was revoked.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _subjectsRevokedBefore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedAuthorizations = new(StringComparer.Ordinal);
    // Orders "check revoked, then store" against "mark revoked, then evict" so that neither slips between the other.
    private readonly Lock _revocationLock = new();
    private volatile bool _localSuspended;

    public IntrospectionCache(
        IConnectionMultiplexer redis,
        IOptions<TokenValidationOptions> options,
        IntrospectionTelemetry telemetry,
        TimeProvider timeProvider,
        ILogger<IntrospectionCache> logger)
    {
        _redis = redis;
        _options = options.Value;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
        _logger = logger;
        _entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.MemoryCacheSize });
        _invalidTokens = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.NegativeCacheSize });
    }

    public DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <summary>The in-process level only: no I/O, safe for the hot path. Past its end or the token's exp, an entry is a miss.</summary>
    public bool TryGetLocal(TokenHash hash, out CachedIntrospection entry)
    {
        if (!_localSuspended
            && _entries.TryGetValue(hash.Hex, out CachedIntrospection? found) && found is not null && found.IsUsableAt(Now)
            && !IsRevoked(hash, found))
        {
            _telemetry.Hit(CacheLevel.Memory);
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Whether this token was recently found inactive or invalid, or revoked by an event (in process only).</summary>
    public bool IsKnownInvalid(TokenHash hash)
    {
        // A token a revocation event named is refused at once, without asking the user service again.
        if (!_invalidTokens.TryGetValue(hash.Hex, out _) && !_revokedTokens.ContainsKey(hash.Hex))
        {
            return false;
        }

        _telemetry.Hit(CacheLevel.Negative);
        return true;
    }

    public void RememberInvalid(TokenHash hash)
        => _invalidTokens.Set(hash.Hex, true, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = _options.NegativeCacheLifetime,
            Size = 1,
        });

    /// <summary>Reads Redis (bounded by <see cref="TokenValidationOptions.RedisTimeout"/>); a found entry also fills the in-process level.</summary>
    public async Task<CachedIntrospection?> GetDistributedAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            ReportFallback("disconnected", exception: null);
            _telemetry.Miss();
            return null;
        }

        using var activity = IntrospectionTelemetry.ActivitySource.StartActivity("token cache redis lookup");
        activity?.SetTag("blog.token.id", hash.TokenId);
        try
        {
            var database = _redis.GetDatabase();
            // The entry and the token's revocation marker in one round trip: the marker refuses an entry that a
            // revocation event should have deleted but no instance heard (every subscription down at that moment).
            // The subject's and the login's markers, named by the entry, need a second one.
            var found = await database
                .StringGetAsync([hash.ToCacheKey(_options.CacheKeyPrefix), RevocationContract.RevokedTokenKey(hash.Hex)])
                .WaitAsync(_options.RedisTimeout, cancellationToken);
            var entry = found[0].HasValue ? CachedIntrospection.Deserialize((byte[])found[0]!) : null;
            if (entry is null || !entry.IsUsableAt(Now) || IsRevoked(hash, entry) || found[1].HasValue
                || await IsMarkedRevokedAsync(database, entry, cancellationToken))
            {
                activity?.SetTag("blog.token_cache.result", "miss");
                _telemetry.Miss();
                return null;
            }

            activity?.SetTag("blog.token_cache.result", "hit");
            _telemetry.Hit(CacheLevel.Redis);
            StoreLocal(hash, entry);
            return entry;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            ReportFallback(exception is TimeoutException ? "timeout" : "error", exception);
            _telemetry.Miss();
            return null;
        }
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

    /// <summary>Keeps a validated result in both levels. Redis is written fire-and-forget: a request never waits for it.</summary>
    public void Store(TokenHash hash, CachedIntrospection entry)
    {
        var lifetime = entry.CachedUntil - Now;
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        StoreLocal(hash, entry);
        if (!_redis.IsConnected)
        {
            ReportFallback("disconnected", exception: null);
            return;
        }

        try
        {
            // One script: refuses the write once the user service has marked the token, its subject or its login
            // revoked, and indexes the entry under its subject and its login so that a revocation of either finds it
            // without scanning Redis.
            _redis.GetDatabase().ScriptEvaluate(StoreScript,
                [
                    hash.ToCacheKey(_options.CacheKeyPrefix),
                    RevocationContract.RevokedTokenKey(hash.Hex),
                    RevocationContract.RevokedSubjectKey(entry.Subject ?? ""),
                    SubjectIndexKey(entry.Subject ?? ""),
                    RevocationContract.RevokedAuthorizationKey(entry.AuthorizationId ?? ""),
                    AuthorizationIndexKey(entry.AuthorizationId ?? ""),
                ],
                [
                    entry.Serialize(),
                    (long)lifetime.TotalMilliseconds,
                    entry.IssuedAt?.ToUnixTimeMilliseconds() ?? 0,
                    hash.Hex,
                    entry.Subject is null ? 0 : 1,
                    entry.AuthorizationId is null ? 0 : 1,
                ],
                CommandFlags.FireAndForget);
        }
        catch (Exception exception)
        {
            ReportFallback("error", exception);
        }
    }

    public void StoreLocal(TokenHash hash, CachedIntrospection entry)
    {
        if (!_options.MemoryCacheEnabled)
        {
            return; // benchmark variant: the in-process level is off, so it is neither read nor written
        }

        lock (_revocationLock)
        {
            if (!_localSuspended && !IsRevoked(hash, entry))
            {
                _entries.Set(hash.Hex, entry, new MemoryCacheEntryOptions { AbsoluteExpiration = entry.CachedUntil, Size = 1 });
            }
        }
    }

    /// <summary>
    /// Applies a revocation event: remembers it, evicts the token's entry, every entry of the subject or every entry
    /// of the login in process, and deletes the same from Redis (through the subject's or the login's index). Returns
    /// the in-process entries evicted.
    /// </summary>
    public int Revoke(RevocationEvent revocation)
    {
        var evicted = new List<string>();
        lock (_revocationLock)
        {
            if (revocation.TokenHash is { } tokenHash)
            {
                _revokedTokens[tokenHash] = Now;
                if (_entries.TryGetValue(tokenHash, out _))
                {
                    _entries.Remove(tokenHash);
                    evicted.Add(tokenHash);
                }
            }

            if (revocation.Subject is { } subject)
            {
                var notBefore = DateTimeOffset.FromUnixTimeMilliseconds(revocation.NotBeforeUnixMs);
                _subjectsRevokedBefore.AddOrUpdate(subject, notBefore, (_, existing) => existing > notBefore ? existing : notBefore);
                EvictWhere(entry => entry.Subject == subject, evicted);
            }

            if (revocation.AuthorizationId is { } authorizationId)
            {
                _revokedAuthorizations[authorizationId] = Now;
                EvictWhere(entry => entry.AuthorizationId == authorizationId, evicted);
            }
        }

        ForgetOldRevocations();
        DeleteFromRedis(revocation);
        return evicted.Count;
    }

    private void EvictWhere(Func<CachedIntrospection, bool> revoked, List<string> evicted)
    {
        foreach (var key in _entries.Keys.OfType<string>().ToList())
        {
            if (_entries.TryGetValue(key, out CachedIntrospection? entry) && entry is not null && revoked(entry))
            {
                _entries.Remove(key);
                evicted.Add(key);
            }
        }
    }

    /// <summary>The revocation channel is down: events may be missed, so the in-process level is not trusted.</summary>
    public void SuspendLocal()
    {
        lock (_revocationLock)
        {
            _localSuspended = true;
            _entries.Clear();
        }
    }

    /// <summary>The channel is back: start the in-process level empty (whatever it held may have been revoked meanwhile).</summary>
    public void ResumeLocal()
    {
        lock (_revocationLock)
        {
            _entries.Clear();
            _localSuspended = false;
        }
    }

    public bool IsLocalSuspended => _localSuspended;

    private bool IsRevoked(TokenHash hash, CachedIntrospection entry)
        => _revokedTokens.ContainsKey(hash.Hex)
            || (entry.Subject is { } subject
                && _subjectsRevokedBefore.TryGetValue(subject, out var notBefore)
                // iat has whole seconds: a token issued in the revocation's own second counts as revoked (the safe side).
                && (entry.IssuedAt is not { } issuedAt || issuedAt < notBefore))
            || (entry.AuthorizationId is { } authorizationId && _revokedAuthorizations.ContainsKey(authorizationId));

    /// <summary>A revocation need not be remembered once every entry it could concern has expired anyway.</summary>
    private void ForgetOldRevocations()
    {
        var horizon = Now - _options.CacheMaxLifetime - TimeSpan.FromMinutes(1);
        foreach (var (key, revokedAt) in _revokedTokens)
        {
            if (revokedAt < horizon)
            {
                _revokedTokens.TryRemove(key, out _);
            }
        }

        foreach (var (key, notBefore) in _subjectsRevokedBefore)
        {
            if (notBefore < horizon)
            {
                _subjectsRevokedBefore.TryRemove(key, out _);
            }
        }

        foreach (var (key, revokedAt) in _revokedAuthorizations)
        {
            if (revokedAt < horizon)
            {
                _revokedAuthorizations.TryRemove(key, out _);
            }
        }
    }

    private void DeleteFromRedis(RevocationEvent revocation)
    {
        if (!_redis.IsConnected)
        {
            return; // a Redis that restarted is empty; one that stayed up gets the deletions from the other instances
        }

        try
        {
            var database = _redis.GetDatabase();
            if (revocation.TokenHash is { } tokenHash)
            {
                database.KeyDelete(new TokenHash(tokenHash).ToCacheKey(_options.CacheKeyPrefix), CommandFlags.FireAndForget);
            }

            if (revocation.Subject is { } subject)
            {
                database.ScriptEvaluate(DeleteIndexedScript, [SubjectIndexKey(subject)], [_options.CacheKeyPrefix], CommandFlags.FireAndForget);
            }

            if (revocation.AuthorizationId is { } authorizationId)
            {
                database.ScriptEvaluate(DeleteIndexedScript, [AuthorizationIndexKey(authorizationId)], [_options.CacheKeyPrefix], CommandFlags.FireAndForget);
            }
        }
        catch (Exception exception)
        {
            ReportFallback("error", exception);
        }
    }

    private string SubjectIndexKey(string subject) => $"{_options.CacheKeyPrefix}subject:{subject}";

    private string AuthorizationIndexKey(string authorizationId) => $"{_options.CacheKeyPrefix}authorization:{authorizationId}";

    // KEYS: entry, token revoked marker, subject revoked marker, subject index, login revoked marker, login index.
    // ARGV: value, lifetime ms, issued at (Unix ms), token hash, has subject (0/1), has login (0/1).
    private const string StoreScript = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        if ARGV[5] == '1' then
          local notBefore = redis.call('GET', KEYS[3])
          if notBefore and tonumber(notBefore) > tonumber(ARGV[3]) then return 0 end
        end
        if ARGV[6] == '1' and redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        local function index(key)
          redis.call('SADD', key, ARGV[4])
          if redis.call('PTTL', key) < tonumber(ARGV[2]) then redis.call('PEXPIRE', key, ARGV[2]) end
        end
        if ARGV[5] == '1' then index(KEYS[4]) end
        if ARGV[6] == '1' then index(KEYS[6]) end
        return 1
        """;

    // KEYS: a subject's or a login's index. ARGV: entry key prefix.
    private const string DeleteIndexedScript = """
        for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. hash) end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    private void ReportFallback(string reason, Exception? exception)
    {
        _telemetry.Fallback(reason);

        // One warning per interval: during an outage every request falls back, the logs need not say so each time.
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTimestamp);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < WarningInterval)
        {
            Interlocked.Increment(ref _suppressedWarnings);
            return;
        }

        if (Interlocked.CompareExchange(ref _lastWarningTimestamp, now, last) == last)
        {
            LogRedisFallback(exception, reason, Interlocked.Exchange(ref _suppressedWarnings, 0));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis unavailable for the introspection cache ({Reason}); validating tokens by introspection ({Suppressed} similar warnings suppressed)")]
    private partial void LogRedisFallback(Exception? exception, string reason, long suppressed);

    public void Dispose()
    {
        _entries.Dispose();
        _invalidTokens.Dispose();
    }
}
