using System.Security.Claims;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Blog.PostService.Authentication;

/// <summary>
/// The token cache: introspection results keyed by the token's hash, in a bounded in-process level
/// (<see cref="TokenMemoryLevel"/>, guarded by the <see cref="RevocationLedger"/>) in front of Redis
/// (<see cref="RedisTokenStore"/>, shared by every replica). Inactive or invalid tokens are remembered only in
/// process. The benchmark's switches (<see cref="TokenValidationOptions.CacheEnabled"/>,
/// <see cref="TokenValidationOptions.MemoryCacheEnabled"/>) are read here and nowhere else. Callers use
/// <see cref="LookupAsync"/> and <see cref="StoreValidated"/>; the steps below them are internal (and unit-tested).
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

    private DateTimeOffset Now => timeProvider.GetUtcNow();

    /// <summary>
    /// Looks a token up: in process, then (if <paramref name="includeRejected"/>) among the tokens known to be
    /// invalid or revoked, then in Redis. With the cache switched off, nothing is hashed or read.
    /// </summary>
    public async ValueTask<TokenLookup> LookupAsync(string token, bool includeRejected, CancellationToken cancellationToken)
    {
        if (!_options.CacheEnabled)
        {
            return TokenLookup.CacheOff;
        }

        var hash = TokenHash.Compute(token);
        if (TryGetLocal(hash, out var entry))
        {
            return TokenLookup.Found(hash, entry);
        }

        if (includeRejected && IsKnownInvalid(hash))
        {
            return TokenLookup.Rejected(hash);
        }

        return await GetDistributedAsync(hash, cancellationToken) is { } shared ? TokenLookup.Found(hash, shared) : TokenLookup.Missed(hash);
    }

    /// <summary>Keeps the principal OpenIddict accepted for this token in both levels, for as long as <see cref="EntryFor"/> allows.</summary>
    public void StoreValidated(string token, ClaimsPrincipal principal)
    {
        if (_options.CacheEnabled)
        {
            Store(TokenHash.Compute(token), EntryFor(principal));
        }
    }

    /// <summary>
    /// The entry a validated principal makes, usable for min(CacheMaxLifetime, exp - now); when nothing may be
    /// cached (the token expires now) it ends now, and <see cref="Store"/> keeps nothing.
    /// </summary>
    public CachedIntrospection EntryFor(ClaimsPrincipal principal)
    {
        var now = Now;
        var expiresAt = principal.GetExpirationDate();
        var lifetime = IntrospectionCacheLifetime.Compute(now, expiresAt, _options.CacheMaxLifetime) ?? TimeSpan.Zero;
        return CachedIntrospection.FromPrincipal(principal, expiresAt, now + lifetime, now);
    }

    /// <summary>The in-process level only: no I/O, safe for the hot path. Past its end or the token's exp, an entry is a miss.</summary>
    internal bool TryGetLocal(TokenHash hash, out CachedIntrospection entry)
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
    internal bool IsKnownInvalid(TokenHash hash)
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
    internal async Task<CachedIntrospection?> GetDistributedAsync(TokenHash hash, CancellationToken cancellationToken)
    {
        // The same rule as an in-process hit: while the revocation channel is down, an entry is served only within the degraded bound.
        var entry = await redisStore.GetAsync(hash, found => !ledger.IsServable(hash, found), cancellationToken);
        if (entry is not null)
        {
            StoreLocal(hash, entry);
        }

        return entry;
    }

    /// <summary>Keeps a validated result in both levels. Redis is written fire-and-forget: a request never waits for it.</summary>
    internal void Store(TokenHash hash, CachedIntrospection entry)
    {
        var lifetime = entry.CachedUntil - Now;
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        StoreLocal(hash, entry);
        redisStore.Store(hash, entry, lifetime);
    }

    internal void StoreLocal(TokenHash hash, CachedIntrospection entry)
    {
        if (_options.MemoryCacheEnabled)
        {
            // Off (a benchmark variant), the in-process level is neither read nor written.
            ledger.KeepLocal(hash, entry);
        }
    }
}
