using System.Buffers;
using System.Buffers.Text;
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
/// <remarks>
/// The stored value is the MAC, then the entry's subject and login in clear (each as its UTF-8 length in decimal, a
/// colon and the bytes), then the entry's JSON. The clear part lets the read script name the subject's and the login's
/// revocation markers in the same round trip as the entry (<see cref="RedisTokenScripts.Read"/>); the MAC covers it,
/// and an entry whose clear part disagrees with its JSON does not open, so an edited one can only make Redis deny.
/// </remarks>
public sealed class CacheEntrySeal(IOptions<TokenValidationOptions> options)
{
    private const int MacLength = HMACSHA256.HashSizeInBytes;
    private const int TokenHashLength = SHA256.HashSizeInBytes;

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.CacheEntryKey ?? throw new InvalidOperationException("No cache entry key."));

    /// <summary>The stored value: the MAC, the subject and login in clear, then the entry's JSON.</summary>
    public byte[] Seal(TokenHash hash, CachedIntrospection entry)
    {
        var json = entry.Serialize();
        var subject = entry.Subject ?? "";
        var login = entry.AuthorizationId ?? "";
        var length = MacLength + FieldLength(subject) + FieldLength(login) + json.Length;
        var value = new byte[length];
        var at = MacLength;
        at += WriteField(subject, value.AsSpan(at));
        at += WriteField(login, value.AsSpan(at));
        json.CopyTo(value.AsSpan(at));
        ComputeMac(hash, value.AsSpan(MacLength), value.AsSpan(0, MacLength));
        return value;
    }

    /// <summary>The entry, if <paramref name="value"/> is one this service sealed for this very token; otherwise null.</summary>
    public CachedIntrospection? Open(TokenHash hash, ReadOnlySpan<byte> value)
    {
        if (!Verifies(hash, value))
        {
            return null;
        }

        var body = value[MacLength..];
        if (!TryReadField(ref body, out var subject) || !TryReadField(ref body, out var login))
        {
            return null; // sealed by this service yet without the clear part: written by an older version
        }

        CachedIntrospection? entry;
        try
        {
            entry = CachedIntrospection.Deserialize(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // sealed by this service yet unreadable: written by an older version of the entry's shape
        }

        // What the read script checked the markers of must be what the entry says it is.
        return entry is not null && Matches(subject, entry.Subject) && Matches(login, entry.AuthorizationId) ? entry : null;
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

    private static int FieldLength(string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        return DigitCount(bytes) + 1 + bytes;
    }

    private static int DigitCount(int number)
    {
        var digits = 1;
        for (; number >= 10; number /= 10)
        {
            digits++;
        }

        return digits;
    }

    private static int WriteField(string text, Span<byte> destination)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (!Utf8Formatter.TryFormat(bytes, destination, out var digits))
        {
            throw new InvalidOperationException("No room for the field's length.");
        }

        destination[digits] = (byte)':';
        return digits + 1 + Encoding.UTF8.GetBytes(text, destination[(digits + 1)..]);
    }

    private static bool TryReadField(ref ReadOnlySpan<byte> body, out ReadOnlySpan<byte> field)
    {
        field = default;
        var colon = body.IndexOf((byte)':');
        if (colon is <= 0 or > 9 || !Utf8Parser.TryParse(body[..colon], out int length, out var consumed) || consumed != colon
            || length < 0 || length > body.Length - colon - 1)
        {
            return false;
        }

        field = body.Slice(colon + 1, length);
        body = body[(colon + 1 + length)..];
        return true;
    }

    private static bool Matches(ReadOnlySpan<byte> clear, string? value)
    {
        if (value is null)
        {
            return clear.IsEmpty;
        }

        Span<byte> buffer = stackalloc byte[256];
        var count = Encoding.UTF8.GetByteCount(value);
        var encoded = count <= buffer.Length ? buffer[..count] : new byte[count];
        Encoding.UTF8.GetBytes(value, encoded);
        return clear.SequenceEqual(encoded);
    }

    private void ComputeMac(TokenHash hash, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var length = TokenHashLength + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            // The token's hash is part of what is signed: an entry copied under another token's key does not verify.
            if (Convert.FromHexString(hash.Hex, buffer.AsSpan(0, TokenHashLength), out _, out var written) != OperationStatus.Done || written != TokenHashLength)
            {
                throw new ArgumentException("Not a SHA-256 token hash.", nameof(hash));
            }

            body.CopyTo(buffer.AsSpan(TokenHashLength));
            HMACSHA256.HashData(_key, buffer.AsSpan(0, length), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
