using System.Collections.Concurrent;
using Blog.ServiceDefaults.Revocation;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// What this instance knows of revocations, and the guard of the in-process level. A revocation event
/// (<see cref="Revoke"/>: one token, every token of a subject, or every token of a login) evicts entries from both
/// levels and is remembered for as long as an entry could outlive it, so that neither a racing write nor a later hit
/// brings a revoked token back. While the revocation channel is down (<see cref="RevocationChannel"/>), an entry of
/// either level is served only within the degraded bound, and once the channel is back the in-process level restarts
/// empty, since it may have missed events. The subscriber to the channel talks to this type only.
/// </summary>
public sealed class RevocationLedger(
    TokenMemoryLevel memory,
    RedisTokenStore redisStore,
    RevocationChannel channel,
    IOptions<TokenValidationOptions> options,
    TimeProvider timeProvider)
{
    // Revocations this instance heard of: token hash -> when, subject -> every token issued before is revoked, and
    // login (authorization id) -> when every token of it was revoked.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _subjectsRevokedBefore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedAuthorizations = new(StringComparer.Ordinal);
    // Orders "check revoked, then store" against "mark revoked, then evict" so that neither slips between the other.
    private readonly Lock _revocationLock = new();

    /// <summary>How far ahead of this instance's clock a subject revocation may be dated (the user service's clock may be ahead).</summary>
    internal static readonly TimeSpan MaxClockAhead = TimeSpan.FromMinutes(1);

    private DateTimeOffset Now => timeProvider.GetUtcNow();

    /// <summary>
    /// The in-process entry, unless it is past its end or the token's exp, past the degraded bound while the channel
    /// is down, or revoked.
    /// </summary>
    public bool TryGetLocal(TokenHash hash, out CachedIntrospection entry)
    {
        if (memory.TryGet(hash, out entry) && IsServable(hash, entry))
        {
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Usable now, trusted as the channel's state allows, not revoked: what a hit of either level must be.</summary>
    public bool IsServable(TokenHash hash, CachedIntrospection entry)
    {
        var now = Now;
        return entry.IsUsableAt(now) && channel.Trusts(entry, now) && !IsRevoked(hash, entry);
    }

    /// <summary>Keeps the entry in process unless it is revoked (while the channel is down too: reads bound it then).</summary>
    public void KeepLocal(TokenHash hash, CachedIntrospection entry)
    {
        lock (_revocationLock)
        {
            if (!IsRevoked(hash, entry))
            {
                memory.Set(hash, entry);
            }
        }
    }

    /// <summary>Whether a revocation event named this very token.</summary>
    public bool IsTokenRevoked(TokenHash hash) => _revokedTokens.ContainsKey(hash.Hex);

    public bool IsRevoked(TokenHash hash, CachedIntrospection entry)
        => _revokedTokens.ContainsKey(hash.Hex)
            || (entry.Subject is { } subject
                && _subjectsRevokedBefore.TryGetValue(subject, out var notBefore)
                // iat has whole seconds: a token issued in the revocation's own second counts as revoked (the safe side).
                && (entry.IssuedAt is not { } issuedAt || issuedAt < notBefore))
            || (entry.AuthorizationId is { } authorizationId && _revokedAuthorizations.ContainsKey(authorizationId));

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
                if (memory.Remove(tokenHash))
                {
                    evicted.Add(tokenHash);
                }
            }

            if (revocation.Subject is { } subject)
            {
                // An event is dated by its sender; one dated far ahead would be remembered for that long. No token can
                // be issued after the present (give or take clocks), so later than that revokes nothing more.
                var notBefore = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(revocation.NotBeforeUnixMs, 0, (Now + MaxClockAhead).ToUnixTimeMilliseconds()));
                _subjectsRevokedBefore.AddOrUpdate(subject, notBefore, (_, existing) => existing > notBefore ? existing : notBefore);
                memory.RemoveWhere(entry => entry.Subject == subject, evicted);
            }

            if (revocation.AuthorizationId is { } authorizationId)
            {
                _revokedAuthorizations[authorizationId] = Now;
                memory.RemoveWhere(entry => entry.AuthorizationId == authorizationId, evicted);
            }
        }

        ForgetOldRevocations();
        redisStore.Delete(revocation);
        return evicted.Count;
    }

    /// <summary>
    /// A sign of life on the channel (an event or a probe's answer). If the channel was down until now, the in-process
    /// level restarts empty first: what it holds may have been revoked by an event this instance did not hear.
    /// Returns whether the channel came back.
    /// </summary>
    public bool ChannelHeard()
    {
        var now = Now;
        if (channel.IsAlive(now))
        {
            channel.Heard(now);
            return false;
        }

        lock (_revocationLock)
        {
            memory.Clear();
            channel.Heard(now);
        }

        return true;
    }

    /// <summary>The subscription's connection dropped: the channel is down at once.</summary>
    public void ChannelBroken() => channel.Break();

    /// <summary>Subscribed again: the in-process level restarts empty (whatever it held may have been revoked meanwhile).</summary>
    public void ChannelRestored()
    {
        lock (_revocationLock)
        {
            memory.Clear();
            channel.Restore(Now);
        }
    }

    /// <summary>A revocation need not be remembered once every entry it could concern has expired anyway.</summary>
    private void ForgetOldRevocations()
    {
        var horizon = Now - options.Value.CacheMaxLifetime - TimeSpan.FromMinutes(1);
        foreach (var revocations in (ConcurrentDictionary<string, DateTimeOffset>[])[_revokedTokens, _subjectsRevokedBefore, _revokedAuthorizations])
        {
            foreach (var (key, revokedAt) in revocations)
            {
                if (revokedAt < horizon)
                {
                    revocations.TryRemove(key, out _);
                }
            }
        }
    }
}
