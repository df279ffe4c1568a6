namespace Blog.PostService.Authentication;

public enum TokenLookupResult
{
    /// <summary>The cache is switched off: validate without it (no hash, no coalescing).</summary>
    CacheOff,

    /// <summary>A usable, unrevoked entry: <see cref="TokenLookup.Entry"/>.</summary>
    Found,

    /// <summary>Recently found inactive or invalid, or revoked by an event: refuse without introspecting.</summary>
    Rejected,

    /// <summary>In no level: introspect.</summary>
    Missed,
}

/// <summary>What <see cref="IntrospectionCache.LookupAsync"/> found for a token, with the token's hash.</summary>
public readonly record struct TokenLookup(TokenLookupResult Result, TokenHash Hash, CachedIntrospection? Entry = null)
{
    public static TokenLookup CacheOff => new(TokenLookupResult.CacheOff, default);

    public static TokenLookup Found(TokenHash hash, CachedIntrospection entry) => new(TokenLookupResult.Found, hash, entry);

    public static TokenLookup Rejected(TokenHash hash) => new(TokenLookupResult.Rejected, hash);

    public static TokenLookup Missed(TokenHash hash) => new(TokenLookupResult.Missed, hash);
}
