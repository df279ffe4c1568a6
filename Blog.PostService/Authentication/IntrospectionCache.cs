using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// The token cache: introspection results keyed by the token's hash, in a bounded in-process level
/// (<see cref="TokenMemoryLevel"/>, guarded by the <see cref="RevocationLedger"/>) in front of Redis
/// (<see cref="RedisTokenStore"/>, shared by every replica). Inactive or invalid tokens are remembered only in
/// process. The benchmark's switches (<see cref="TokenValidationOptions.CacheEnabled"/>,
/// <see cref="TokenValidationOptions.MemoryCacheEnabled"/>) are read here and nowhere else.
/// </summary>
public sealed class IntrospectionCache(
    TokenMemoryLevel memory,
    RedisTokenStore redisStore,
    RevocationLedger ledger,
    IOptions<TokenValidationOptions> options,
    IntrospectionTelemetry telemetry,
    TimeProvider timeProvider)
{
    private readonly TokenValidationOptions _options = options.Value;

    public DateTimeOffset Now => timeProvider.GetUtcNow();

    /// <summary>The in-process level only: no I/O, safe for the hot path. Past its end or the token's exp, an entry is a miss.</summary>
    public bool TryGetLocal(TokenHash hash, out CachedIntrospection entry)
    {
        if (_options.MemoryCacheEnabled && ledger.TryGetLocal(hash, out entry))
        {
            telemetry.Hit(CacheLevel.Memory);
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Whether this token was recently found inactive or invalid, or revoked by an event (in process only).</summary>
    public bool IsKnownInvalid(TokenHash hash)
    {
        // A token a revocation event named is refused at once, without asking the user service again.
        if (!memory.IsRememberedInvalid(hash) && !ledger.IsTokenRevoked(hash))
        {
            return false;
        }

        telemetry.Hit(CacheLevel.Negative);
        return true;
    }

    public void RememberInvalid(TokenHash hash) => memory.RememberInvalid(hash);

    /// <summary>Reads Redis (bounded by <see cref="TokenValidationOptions.RedisTimeout"/>); a found entry also fills the in-process level.</summary>
    public async Task<CachedIntrospection?> GetDistributedAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        var entry = await redisStore.GetAsync(hash, found => ledger.IsRevoked(hash, found), cancellationToken);
        if (entry is not null)
        {
            StoreLocal(hash, entry);
        }

        return entry;
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
        redisStore.Store(hash, entry, lifetime);
    }

    public void StoreLocal(TokenHash hash, CachedIntrospection entry)
    {
        if (_options.MemoryCacheEnabled)
        {
            // Off (a benchmark variant), the in-process level is neither read nor written.
            ledger.KeepLocal(hash, entry);
        }
    }
}
