using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// Makes Redis able to deny a token but never to grant one. Every entry the post service writes to Redis carries an
/// HMAC-SHA-256 over the token's hash and the entry, keyed with <see cref="TokenValidationOptions.CacheEntryKey"/>,
/// which only the post service holds (it is never stored in Redis). Whoever can write to Redis can delete or spoil
/// entries, which costs an introspection, but cannot make one up, move one to another token, or edit one: a seal that
/// does not verify is a miss. Only Redis entries are sealed: the in-process level never pays for it.
/// </summary>
public sealed class CacheEntrySeal(IOptions<TokenValidationOptions> options)
{
    private const int MacLength = HMACSHA256.HashSizeInBytes;
    private const int TokenHashLength = SHA256.HashSizeInBytes;

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.CacheEntryKey ?? throw new InvalidOperationException("No cache entry key."));

    /// <summary>The stored value: the MAC, then the entry's JSON.</summary>
    public byte[] Seal(TokenHash hash, CachedIntrospection entry)
    {
        var json = entry.Serialize();
        var value = new byte[MacLength + json.Length];
        json.CopyTo(value.AsSpan(MacLength));
        ComputeMac(hash, json, value.AsSpan(0, MacLength));
        return value;
    }

    /// <summary>The entry, if <paramref name="value"/> is one this service sealed for this very token; otherwise null.</summary>
    public CachedIntrospection? Open(TokenHash hash, ReadOnlySpan<byte> value)
    {
        if (!Verifies(hash, value))
        {
            return null;
        }

        try
        {
            return CachedIntrospection.Deserialize(value[MacLength..]);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // sealed by this service yet unreadable: written by an older version of the entry's shape
        }
    }

    /// <summary>Whether <paramref name="value"/> carries this service's MAC for this token (in constant time).</summary>
    public bool Verifies(TokenHash hash, ReadOnlySpan<byte> value)
    {
        if (value.Length <= MacLength)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        ComputeMac(hash, value[MacLength..], expected);
        return CryptographicOperations.FixedTimeEquals(expected, value[..MacLength]);
    }

    private void ComputeMac(TokenHash hash, ReadOnlySpan<byte> json, Span<byte> destination)
    {
        var length = TokenHashLength + json.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            // The token's hash is part of what is signed: an entry copied under another token's key does not verify.
            if (Convert.FromHexString(hash.Hex, buffer.AsSpan(0, TokenHashLength), out _, out var written) != OperationStatus.Done || written != TokenHashLength)
            {
                throw new ArgumentException("Not a SHA-256 token hash.", nameof(hash));
            }

            json.CopyTo(buffer.AsSpan(TokenHashLength));
            HMACSHA256.HashData(_key, buffer.AsSpan(0, length), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
