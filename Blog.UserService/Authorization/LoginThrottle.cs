using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Blog.ServiceDefaults.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.UserService.Authorization;

/// <summary>
/// Failed passwords per account and source address, section <c>LoginThrottling</c>: after <see cref="FreeAttempts"/>
/// failures each further one makes that source wait, twice as long each time (from <see cref="FirstDelay"/> up to
/// <see cref="MaxDelay"/>). The account itself is never locked: its owner, from another address, is not affected.
/// </summary>
public sealed class LoginThrottleOptions
{
    public const string SectionName = "LoginThrottling";

    [Range(1, 100)]
    public int FreeAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long failures are remembered after the last one; a successful sign-in from the source forgets them.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row.</summary>
    public TimeSpan DelayAfter(long failures)
    {
        if (failures <= FreeAttempts)
        {
            return TimeSpan.Zero;
        }

        var doublings = Math.Min(failures - FreeAttempts - 1, 40);
        var delay = FirstDelay.TotalMilliseconds * Math.Pow(2, doublings);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelay.TotalMilliseconds));
    }
}

/// <summary>
/// Password guessing throttled per (account, source address), as RFC 6819 5.1.4.2.3 and ASVS V6.1.1 ask, in Redis so
/// every replica sees the same counts (in process while Redis is unreachable). The account is the normalized user name
/// (UserManager.NormalizeName), counted whether it exists or not, so the throttle's answers tell nothing about who
/// exists. Keys hold a hash, never a user name.
/// </summary>
public sealed partial class LoginThrottle(
    IConnectionMultiplexer redis,
    IOptions<LoginThrottleOptions> options,
    TimeProvider timeProvider,
    ILogger<LoginThrottle> logger)
{
    private const string KeyPrefix = "blog:login-throttle:";
    private const int MaxLocalEntries = 100_000;

    private readonly Dictionary<string, (long Failures, DateTimeOffset ForgetAt, DateTimeOffset BlockedUntil)> _local = new(StringComparer.Ordinal);
    private readonly ThrottledWarning _warning = new(timeProvider);

    /// <summary>How long the source must still wait before its next attempt on this account; null when it may try.</summary>
    public async Task<TimeSpan?> GetWaitAsync(string account, string source)
    {
        var key = Key(account, source);
        var (reached, wait) = await TryRedisAsync(database => database.KeyTimeToLiveAsync(key + ":blocked"));
        if (reached)
        {
            return wait > TimeSpan.Zero ? wait : null;
        }

        var now = timeProvider.GetUtcNow();
        lock (_local)
        {
            return _local.TryGetValue(key, out var entry) && entry.BlockedUntil > now ? entry.BlockedUntil - now : null;
        }
    }

    public async Task RecordFailureAsync(string account, string source)
    {
        var settings = options.Value;
        var key = Key(account, source);
        var (recorded, _) = await TryRedisAsync(async database =>
        {
            var failures = (long)await database.ScriptEvaluateAsync(CountFailureScript, [key],
                [(long)settings.ForgetAfter.TotalMilliseconds]);
            var delay = settings.DelayAfter(failures);
            if (delay > TimeSpan.Zero)
            {
                await database.StringSetAsync(key + ":blocked", 1, delay);
            }

            return true;
        });
        if (recorded)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        lock (_local)
        {
            if (_local.Count >= MaxLocalEntries)
            {
                foreach (var forgotten in _local.Where(entry => entry.Value.ForgetAt <= now).Select(entry => entry.Key).ToList())
                {
                    _local.Remove(forgotten);
                }
            }

            var failures = _local.TryGetValue(key, out var entry) && entry.ForgetAt > now ? entry.Failures + 1 : 1;
            _local[key] = (failures, now + settings.ForgetAfter, now + settings.DelayAfter(failures));
        }
    }

    /// <summary>A successful sign-in from the source starts it afresh.</summary>
    public async Task ResetAsync(string account, string source)
    {
        var key = Key(account, source);
        await TryRedisAsync(database => database.KeyDeleteAsync([key, key + ":blocked"]));
        lock (_local)
        {
            _local.Remove(key);
        }
    }

    /// <summary>The Redis call's result; not reached when Redis is unreachable (then the caller counts in process).</summary>
    private async Task<(bool Reached, T? Value)> TryRedisAsync<T>(Func<IDatabase, Task<T>> call)
    {
        if (redis.IsConnected)
        {
            try
            {
                return (true, await call(redis.GetDatabase()).WaitAsync(SharedRateLimiter.RedisCallTimeout));
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                if (_warning.ShouldLog())
                {
                    LogFallback(exception);
                }

                return default;
            }
        }

        if (_warning.ShouldLog())
        {
            LogFallback(null);
        }

        return default;
    }

    private static string Key(string account, string source)
        => KeyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{account}\n{source}")));

    // KEYS: the failure counter. ARGV: how long failures are remembered (ms). Returns the count.
    private const string CountFailureScript = """
        local failures = redis.call('INCR', KEYS[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return failures
        """;

    [LoggerMessage(LogLevel.Warning, "Redis is unreachable: failed sign-ins are counted in this process only until it is back")]
    private partial void LogFallback(Exception? exception);
}
