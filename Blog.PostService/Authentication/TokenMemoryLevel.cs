using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// The in-process level of the token cache, bounded (what the hot path reads, no I/O), and the small, short-lived
/// set of tokens found inactive or invalid (remembered only here, never in Redis, so junk tokens cannot grow Redis).
/// It stores what it is given: <see cref="RevocationLedger"/> decides what may be read and written.
/// </summary>
public sealed class TokenMemoryLevel(IOptions<TokenValidationOptions> options) : IDisposable
{
    private readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = options.Value.MemoryCacheSize });
    private readonly MemoryCache _invalidTokens = new(new MemoryCacheOptions { SizeLimit = options.Value.NegativeCacheSize });
    private readonly TimeSpan _negativeLifetime = options.Value.NegativeCacheLifetime;

    public bool TryGet(TokenHash hash, out CachedIntrospection entry)
    {
        if (_entries.TryGetValue(hash.Hex, out CachedIntrospection? found) && found is not null)
        {
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Kept until the entry's own end.</summary>
    public void Set(TokenHash hash, CachedIntrospection entry)
        => _entries.Set(hash.Hex, entry, new MemoryCacheEntryOptions { AbsoluteExpiration = entry.CachedUntil, Size = 1 });

    /// <summary>Removes the entry of a token hash (hex), reporting whether there was one.</summary>
    public bool Remove(string hashHex)
    {
        if (!_entries.TryGetValue(hashHex, out _))
        {
            return false;
        }

        _entries.Remove(hashHex);
        return true;
    }

    /// <summary>Removes every entry <paramref name="revoked"/> selects and adds its key to <paramref name="removed"/>.</summary>
    public void RemoveWhere(Func<CachedIntrospection, bool> revoked, List<string> removed)
    {
        foreach (var key in _entries.Keys.OfType<string>().ToList())
        {
            if (_entries.TryGetValue(key, out CachedIntrospection? entry) && entry is not null && revoked(entry))
            {
                _entries.Remove(key);
                removed.Add(key);
            }
        }
    }

    public void Clear() => _entries.Clear();

    public void RememberInvalid(TokenHash hash)
        => _invalidTokens.Set(hash.Hex, true, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = _negativeLifetime,
            Size = 1,
        });

    public bool IsRememberedInvalid(TokenHash hash) => _invalidTokens.TryGetValue(hash.Hex, out _);

    public void Dispose()
    {
        _entries.Dispose();
        _invalidTokens.Dispose();
    }
}
