using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Blog.ServiceDefaults.RateLimiting;

/// <summary>A fixed window: at most <see cref="PermitLimit"/> per <see cref="Window"/>. Each limit names its own section.</summary>
public abstract class FixedWindowLimit
{
    [Range(1, 100_000)]
    public int PermitLimit { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; }
}

/// <summary>A window's count after this call, and the time until the window ends.</summary>
public readonly record struct WindowCount(long Count, TimeSpan Remaining);

/// <summary>
/// Fixed-window counters shared by every replica of a service: one Lua script in Redis (INCRBY, then PEXPIRE when the
/// window is new) per call. When Redis cannot be reached the counters live in this process instead (a warning at most
/// once a minute), so an outage loosens the limits to per-replica ones rather than failing the requests.
/// </summary>
public sealed partial class SharedRateLimiter(IConnectionMultiplexer redis, TimeProvider timeProvider, ILogger<SharedRateLimiter> logger)
{
    public const string KeyPrefix = "blog:ratelimit:";

    /// <summary>A Redis call on the request path gives up after this and counts in process instead.</summary>
    public static readonly TimeSpan RedisCallTimeout = TimeSpan.FromMilliseconds(500);
    private const int MaxLocalWindows = 100_000;

    private readonly Dictionary<string, (long Count, DateTimeOffset End)> _local = new(StringComparer.Ordinal);
    private readonly ThrottledWarning _warning = new(timeProvider);

    /// <summary>Counts one request against <paramref name="limit"/>; null if allowed, else the time until it may retry.</summary>
    public async Task<TimeSpan?> AcquireAsync(string key, FixedWindowLimit limit)
    {
        var count = await CountAsync(key, 1, limit.Window);
        return count.Count <= limit.PermitLimit ? null : count.Remaining;
    }

    /// <summary>Adds <paramref name="increment"/> (0 to read) to the window of <paramref name="key"/>.</summary>
    public async Task<WindowCount> CountAsync(string key, int increment, TimeSpan window)
    {
        if (redis.IsConnected)
        {
            try
            {
                var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
                    [KeyPrefix + key], [increment, (long)window.TotalMilliseconds]).WaitAsync(RedisCallTimeout))!;
                return new WindowCount((long)result[0], TimeSpan.FromMilliseconds((long)result[1]));
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                if (_warning.ShouldLog())
                {
                    LogFallback(exception);
                }
            }
        }
        else if (_warning.ShouldLog())
        {
            LogFallback(null);
        }

        return CountLocally(key, increment, window);
    }

    private WindowCount CountLocally(string key, int increment, TimeSpan window)
    {
        var now = timeProvider.GetUtcNow();
        lock (_local)
        {
            if (!_local.TryGetValue(key, out var current) || current.End <= now)
            {
                if (_local.Count >= MaxLocalWindows)
                {
                    foreach (var ended in _local.Where(entry => entry.Value.End <= now).Select(entry => entry.Key).ToList())
                    {
                        _local.Remove(ended);
                    }
                }

                current = (0, now + window);
            }

            current.Count += increment;
            _local[key] = current;
            return new WindowCount(current.Count, current.End - now);
        }
    }

    // KEYS: the counter. ARGV: increment, window (ms). Returns the count and the window's remaining time (ms).
    private const string CountScript = """
        local count = redis.call('INCRBY', KEYS[1], ARGV[1])
        local remaining = redis.call('PTTL', KEYS[1])
        if remaining < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          remaining = tonumber(ARGV[2])
        end
        return {count, remaining}
        """;

    [LoggerMessage(LogLevel.Warning, "Redis is unreachable: rate limits are counted in this process only until it is back")]
    private partial void LogFallback(Exception? exception);
}

/// <summary>True at most once a minute: a Redis outage must not write a warning per request.</summary>
public sealed class ThrottledWarning(TimeProvider timeProvider)
{
    private long _nextUnixMs;

    public bool ShouldLog()
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var next = Interlocked.Read(ref _nextUnixMs);
        return now >= next && Interlocked.CompareExchange(ref _nextUnixMs, now + 60_000, next) == next;
    }
}
