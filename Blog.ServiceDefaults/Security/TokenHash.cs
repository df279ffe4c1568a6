using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Blog.ServiceDefaults.Security;

/// <summary>
/// What stands for a token everywhere outside the request itself: the lowercase hex SHA-256 of its UTF-8 bytes.
/// The raw token is never a cache key, a cached value or a log field.
/// </summary>
public readonly record struct TokenHash(string Hex)
{
    /// <summary>Length of <see cref="TokenId"/>: enough to tell tokens apart in logs, useless for guessing them.</summary>
    public const int TokenIdLength = 16;

    /// <summary>The first 16 hex characters, for logs and traces.</summary>
    public string TokenId => Hex[..TokenIdLength];

    public static TokenHash Compute(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var byteCount = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        var buffer = byteCount <= 4096 ? stackalloc byte[byteCount] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(token, buffer);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);
            return new TokenHash(Convert.ToHexStringLower(hash));
        }
        finally
        {
            if (rented is not null)
            {
                // The buffer held the token: clear it before it goes back to the shared pool.
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    /// <summary>The Redis key: a per-service prefix and the hash.</summary>
    public string ToCacheKey(string prefix) => string.Concat(prefix, Hex);

    public override string ToString() => TokenId;
}
