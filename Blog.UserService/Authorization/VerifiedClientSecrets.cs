using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Blog.UserService.Authorization;

/// <summary>
/// Remembers, for a short while, that a confidential client's secret matched its stored hash, so that a client calling
/// many times a second (the post service introspecting) pays the deliberately slow PBKDF2 check about once per
/// <see cref="AuthorizationServerOptions.ClientSecretCheckMemory"/> instead of on every call. Nothing weaker is accepted: an entry only answers "this exact
/// secret matched this exact stored hash", which is what PBKDF2 would answer again.
/// </summary>
/// <remarks>
/// Keyed by the stored hash (salted, so a changed secret or a re-registered client has a new key and starts
/// unverified); holds a MAC of the presented secret under a key that exists only in this process, never the secret,
/// and compares MACs in constant time. Entries are added only after a successful PBKDF2 check, so their number is
/// bounded by the registered confidential clients; <see cref="Capacity"/> caps it anyway.
/// </remarks>
public sealed class VerifiedClientSecrets(TimeProvider timeProvider, IOptions<AuthorizationServerOptions> options)
{
    /// <summary>At most this many stored hashes are remembered; beyond it, checks simply run uncached.</summary>
    public const int Capacity = 64;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ShortMemory<byte[]> _secretMacs = new(timeProvider, () => options.Value.ClientSecretCheckMemory, Capacity);

    /// <summary>True when this secret matched this stored hash less than <see cref="AuthorizationServerOptions.ClientSecretCheckMemory"/> ago.</summary>
    public bool IsVerified(string storedHash, string secret)
        => _secretMacs.TryGet(storedHash, out var secretMac) && CryptographicOperations.FixedTimeEquals(Mac(secret), secretMac);

    /// <summary>Records that <paramref name="secret"/> matched <paramref name="storedHash"/> (call only after the real check).</summary>
    public void Remember(string storedHash, string secret) => _secretMacs.Set(storedHash, Mac(secret));

    private byte[] Mac(string secret) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(secret));
}
