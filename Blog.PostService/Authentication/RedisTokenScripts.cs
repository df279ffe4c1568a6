using Blog.ServiceDefaults.Revocation;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// The token cache's Redis layout beyond the entries themselves (the entry key is the prefix and the token's hash):
/// the per-subject and per-login indexes, the two scripts that write and delete entries atomically with them, and the
/// read-only script that reads an entry with every revocation marker that concerns it in one round trip.
/// </summary>
internal static class RedisTokenScripts
{
    public static string SubjectIndexKey(string prefix, string subject) => $"{prefix}subject:{subject}";

    public static string AuthorizationIndexKey(string prefix, string authorizationId) => $"{prefix}authorization:{authorizationId}";

    // Only keys the post service may write are KEYS: Redis checks a script's declared keys for write access, and the
    // service may only read the user service's revocation markers, so their names come as arguments.
    public static RedisKey[] StoreKeys(string prefix, TokenHash hash, CachedIntrospection entry) =>
    [
        hash.ToCacheKey(prefix),
        SubjectIndexKey(prefix, entry.Subject ?? ""),
        AuthorizationIndexKey(prefix, entry.AuthorizationId ?? ""),
    ];

    public static RedisValue[] StoreArguments(TokenHash hash, CachedIntrospection entry, byte[] sealedEntry, TimeSpan lifetime) =>
    [
        sealedEntry,
        (long)lifetime.TotalMilliseconds,
        entry.IssuedAt?.ToUnixTimeMilliseconds() ?? 0,
        hash.Hex,
        entry.Subject is null ? 0 : 1,
        entry.AuthorizationId is null ? 0 : 1,
        RevocationContract.RevokedTokenKey(hash.Hex),
        RevocationContract.RevokedSubjectKey(entry.Subject ?? ""),
        RevocationContract.RevokedAuthorizationKey(entry.AuthorizationId ?? ""),
    ];

    // KEYS: as StoreKeys (entry, subject index, login index). ARGV: as StoreArguments (value, lifetime ms, issued at in
    // Unix ms, token hash, has subject 0/1, has login 0/1, token revoked marker, subject revoked marker, login revoked
    // marker).
    public const string Store = """
        if redis.call('EXISTS', ARGV[7]) == 1 then return 0 end
        if ARGV[5] == '1' then
          local notBefore = redis.call('GET', ARGV[8])
          if notBefore and tonumber(notBefore) > tonumber(ARGV[3]) then return 0 end
        end
        if ARGV[6] == '1' and redis.call('EXISTS', ARGV[9]) == 1 then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        local function index(key)
          redis.call('SADD', key, ARGV[4])
          if redis.call('PTTL', key) < tonumber(ARGV[2]) then redis.call('PEXPIRE', key, ARGV[2]) end
        end
        if ARGV[5] == '1' then index(KEYS[2]) end
        if ARGV[6] == '1' then index(KEYS[3]) end
        return 1
        """;

    // The token's marker is an argument, not a key, like the store script's markers: Redis checks a script's declared
    // keys for write access (StackExchange.Redis sends EVALSHA even for its read-only variant), and the post service
    // may only read markers.
    public static RedisKey[] ReadKeys(string prefix, TokenHash hash) => [hash.ToCacheKey(prefix)];

    // The markers' names are built from constants, so the read script can only ever name keys under the markers'
    // prefix (which the post service's Redis user may read, never write), whatever an entry's clear part says.
    public static RedisValue[] ReadArguments(TokenHash hash)
        => [RevocationContract.RevokedTokenKey(hash.Hex), RevocationContract.RevokedSubjectKey(""), RevocationContract.RevokedAuthorizationKey("")];

    /// <summary>What <see cref="Read"/> answers: positions in its array.</summary>
    public const int ReadEntry = 0, ReadTokenMarker = 1, ReadSubjectMarker = 2, ReadLoginMarker = 3;

    // Declared read-only (no-writes: Redis refuses any write in it). KEYS: the entry. ARGV: the token's revocation
    // marker, the subject markers' and the login markers' key prefix. Nothing when there is no entry; otherwise
    // {entry, token marker, subject marker, login marker}, absent ones as nil. The subject and the login come from the entry's clear part (CacheEntrySeal), which
    // is covered by the entry's MAC: the caller checks the seal, so an edited clear part yields a refused entry, never
    // a skipped marker. The caller decides (a subject marker revokes the tokens issued before it).
    public const string Read = """
        #!lua flags=no-writes
        local value = redis.call('GET', KEYS[1])
        if not value then return false end
        local function field(at)
          local colon = string.find(value, ':', at, true)
          local length = colon and tonumber(string.sub(value, at, colon - 1))
          if not length then return nil, nil end
          return string.sub(value, colon + 1, colon + length), colon + length + 1
        end
        local subject, at = field(33) -- after the 32 bytes of the MAC
        local login = nil
        if at then login = field(at) end
        -- One MGET for the three markers; an absent subject or login names a key that is never written.
        local markers = redis.call('MGET', ARGV[1], ARGV[2] .. (subject or ''), ARGV[3] .. (login or ''))
        return {value, markers[1], markers[2], markers[3]}
        """;

    // KEYS: a subject's or a login's index. ARGV: entry key prefix.
    public const string DeleteIndexed = """
        for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. hash) end
        redis.call('DEL', KEYS[1])
        return 1
        """;
}
