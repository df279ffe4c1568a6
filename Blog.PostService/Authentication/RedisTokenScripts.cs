using Blog.ServiceDefaults.Revocation;
using StackExchange.Redis;

namespace Blog.PostService.Authentication;

/// <summary>
/// The token cache's Redis layout beyond the entries themselves (the entry key is the prefix and the token's hash):
/// the per-subject and per-login indexes, and the two scripts that write and delete entries atomically with them.
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

    // KEYS: a subject's or a login's index. ARGV: entry key prefix.
    public const string DeleteIndexed = """
        for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. hash) end
        redis.call('DEL', KEYS[1])
        return 1
        """;
}
