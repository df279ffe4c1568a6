using System.Collections.Concurrent;
using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

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
public sealed class IntrospectionCache : IDisposable
{
    private readonly RedisTokenStore _redisStore;
    private readonly TokenValidationOptions _options;
    private readonly IntrospectionTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly MemoryCache _entries;
    private readonly MemoryCache _invalidTokens;

    // Revocations this instance heard of: token hash -> when, subject -> every token issued before is revoked, and
    // login (authorization id) -> when every token of it was revoked.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _subjectsRevokedBefore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedAuthorizations = new(StringComparer.Ordinal);
    // Orders "check revoked, then store" against "mark revoked, then evict" so that neither slips between the other.
    private readonly Lock _revocationLock = new();
    private volatile bool _localSuspended;

    public IntrospectionCache(
        RedisTokenStore redisStore,
        IOptions<TokenValidationOptions> options,
        IntrospectionTelemetry telemetry,
        TimeProvider timeProvider)
    {
        _redisStore = redisStore;
        _options = options.Value;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
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
        var entry = await _redisStore.GetAsync(hash, found => IsRevoked(hash, found), cancellationToken);
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
        _redisStore.Store(hash, entry, lifetime);
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
        _redisStore.Delete(revocation);
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

    public void Dispose()
    {
        _entries.Dispose();
        _invalidTokens.Dispose();
    }
}
