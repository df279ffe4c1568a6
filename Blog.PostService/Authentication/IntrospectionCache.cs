using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// Two levels of introspection results, keyed by the token's hash: a bounded in-process level (what the hot path
/// reads) in front of Redis (shared by every replica, survives a restart of one). Inactive or invalid tokens are
/// remembered only in a small, short-lived in-process set, never in Redis, so junk tokens cannot grow Redis.
/// Redis failures never fail a request: the lookup reports a miss (the caller introspects), with a warning and a count.
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
        if (_entries.TryGetValue(hash.Hex, out CachedIntrospection? found) && found is not null && found.IsUsableAt(Now))
        {
            _telemetry.Hit(CacheLevel.Memory);
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Whether this token was recently found inactive or invalid (in process only).</summary>
    public bool IsKnownInvalid(TokenHash hash)
    {
        if (!_invalidTokens.TryGetValue(hash.Hex, out _))
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
            var value = await _redis.GetDatabase()
                .StringGetAsync(hash.ToCacheKey(_options.CacheKeyPrefix))
                .WaitAsync(_options.RedisTimeout, cancellationToken);
            var entry = value.HasValue ? CachedIntrospection.Deserialize((byte[])value!) : null;
            if (entry is null || !entry.IsUsableAt(Now))
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
            _redis.GetDatabase().StringSet(hash.ToCacheKey(_options.CacheKeyPrefix), entry.Serialize(), lifetime, flags: CommandFlags.FireAndForget);
        }
        catch (Exception exception)
        {
            ReportFallback("error", exception);
        }
    }

    public void StoreLocal(TokenHash hash, CachedIntrospection entry)
        => _entries.Set(hash.Hex, entry, new MemoryCacheEntryOptions { AbsoluteExpiration = entry.CachedUntil, Size = 1 });

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
