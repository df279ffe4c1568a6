using System.Security.Claims;
using System.Diagnostics.Metrics;
using Blog.PostService.Authentication;
using Blog.ServiceDefaults.Revocation;
using Blog.UnitTests.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Blog.UnitTests.PostService;

/// <summary>What Redis may hold and the post service still refuses: entries it did not seal, and entries it cannot bound.</summary>
public sealed class CacheEntrySealTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Maximum = TimeSpan.FromMinutes(5);
    private readonly TokenHash _hash = TokenHash.Compute("a-token");
    private readonly CacheEntrySeal _seal = Seal(TokenCacheUnderTest.TestCacheEntryKey);

    [Fact]
    public void An_entry_sealed_for_a_token_opens_for_that_token()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now);

        var opened = _seal.Open(_hash, _seal.Seal(_hash, entry));

        Assert.NotNull(opened);
        Assert.Equal(entry.Subject, opened.Subject);
        Assert.Equal(entry.CachedUntil, opened.CachedUntil);
        Assert.Equal(entry.Claims, opened.Claims);
    }

    [Fact]
    public void An_unsealed_entry_an_edited_one_one_moved_to_another_token_or_sealed_with_another_key_does_not_open()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now);
        var value = _seal.Seal(_hash, entry);
        var edited = value.ToArray();
        edited[^3] ^= 1;

        Assert.Null(_seal.Open(_hash, entry.Serialize()));
        Assert.Null(_seal.Open(_hash, edited));
        Assert.Null(_seal.Open(TokenHash.Compute("another-token"), value));
        Assert.Null(Seal("another-key-of-at-least-thirty-two-characters").Open(_hash, value));
        Assert.Null(_seal.Open(_hash, value.AsSpan(0, HmacLength)));
        Assert.Null(_seal.Open(_hash, []));
    }

    [Fact]
    public void A_read_entry_ends_at_the_earliest_of_its_end_the_tokens_exp_and_the_maximum_after_it_was_stored()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now) with { CachedUntil = Now.AddYears(100), ExpiresAt = Now.AddMinutes(10) };

        Assert.Equal(Now + Maximum, entry.Recapped(Maximum)!.CachedUntil);
        Assert.Equal(Now.AddMinutes(2), (entry with { ExpiresAt = Now.AddMinutes(2) }).Recapped(Maximum)!.CachedUntil);
        Assert.Equal(Now.AddMinutes(1), (entry with { CachedUntil = Now.AddMinutes(1) }).Recapped(Maximum)!.CachedUntil);
        // The setting lowered since the entry was written: the lower one holds.
        Assert.Equal(Now.AddSeconds(30), entry.Recapped(TimeSpan.FromSeconds(30))!.CachedUntil);
    }

    [Fact]
    public void A_read_entry_without_exp_or_time_of_storage_is_refused()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now);

        Assert.Null((entry with { ExpiresAt = null }).Recapped(Maximum));
        Assert.Null((entry with { StoredAt = null }).Recapped(Maximum));
    }

    [Fact]
    public void A_subject_revocation_dated_far_ahead_revokes_no_token_issued_after_the_present()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var deadRedis = ConnectionMultiplexer.Connect(UnreachableRedis.ConnectionString);
        using var parts = new TokenCacheUnderTest(deadRedis, TokenCacheUnderTest.Settings(), services.GetRequiredService<IMeterFactory>());
        var now = DateTimeOffset.UtcNow;

        parts.Ledger.Revoke(new RevocationEvent(null, "alice", DateTimeOffset.MaxValue.ToUnixTimeMilliseconds(), 0));

        Assert.True(parts.Ledger.IsRevoked(_hash, CacheEntries.Entry("alice", TimeSpan.Zero, now)));
        // Had it been kept as dated, it would also be remembered until the year 9999.
        Assert.False(parts.Ledger.IsRevoked(_hash, CacheEntries.Entry("alice", -RevocationLedger.MaxClockAhead - TimeSpan.FromSeconds(5), now)));
    }

    [Fact]
    public void The_value_names_the_subject_and_the_login_in_clear_after_the_mac_where_the_read_script_finds_them()
    {
        var entry = CacheEntries.Entry("alice-\u00e9", TimeSpan.FromMinutes(1), Now, authorizationId: "login-1");

        var value = _seal.Seal(_hash, entry);

        // Lengths in UTF-8 bytes ("é" is two), as Lua's string functions count.
        Assert.StartsWith("8:alice-\u00e97:login-1{", System.Text.Encoding.UTF8.GetString(value.AsSpan(HmacLength)), StringComparison.Ordinal);
        Assert.StartsWith("0:0:{", System.Text.Encoding.UTF8.GetString(_seal.Seal(_hash, entry with { Subject = null, AuthorizationId = null }).AsSpan(HmacLength)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_whose_clear_part_disagrees_with_its_entry_or_is_missing_does_not_open_even_with_a_valid_mac()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now, authorizationId: "login-1");
        var json = entry.Serialize();

        Assert.NotNull(_seal.Open(_hash, WithMac(System.Text.Encoding.UTF8.GetBytes("5:alice7:login-1").Concat(json).ToArray())));
        // Another subject's marker would have been read: refused although the MAC is right (only a key holder could make it).
        Assert.Null(_seal.Open(_hash, WithMac(System.Text.Encoding.UTF8.GetBytes("5:bobby7:login-1").Concat(json).ToArray())));
        Assert.Null(_seal.Open(_hash, WithMac(System.Text.Encoding.UTF8.GetBytes("5:alice0:").Concat(json).ToArray())));
        // The layout before the clear part (MAC, then JSON): a miss, not an error.
        Assert.Null(_seal.Open(_hash, WithMac(json)));
        Assert.Null(_seal.Open(_hash, WithMac(System.Text.Encoding.UTF8.GetBytes("99:alice7:login-1"))));
    }

    [Fact]
    public void Claims_of_every_shape_read_back_the_same_from_their_compact_form()
    {
        var entry = CacheEntries.Entry("alice", TimeSpan.FromMinutes(1), Now) with
        {
            Claims =
            [
                new CachedClaim("sub", "alice", ClaimValueTypes.String, "http://issuer/", "http://issuer/"),
                new CachedClaim("role", "author", ClaimValueTypes.String, "http://issuer/", "http://issuer/"),
                new CachedClaim("iat", "1", ClaimValueTypes.Integer64, "http://issuer/", "http://issuer/"),
                new CachedClaim("x", "", ClaimValueTypes.String, "http://issuer/", "http://elsewhere/"),
                new CachedClaim("y", "null", ClaimValueTypes.String, "http://other/", "http://other/"),
                new CachedClaim("z", "[1]", ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer),
            ],
        };

        var opened = _seal.Open(_hash, _seal.Seal(_hash, entry));

        Assert.NotNull(opened);
        Assert.Equal(entry.Claims, opened.Claims);
        Assert.Contains("[\"role\",\"author\"]", System.Text.Encoding.UTF8.GetString(entry.Serialize()), StringComparison.Ordinal);
    }

    /// <summary>The MAC the seal computes (HMAC-SHA-256 of the token's hash bytes and the body), put in front of <paramref name="body"/>.</summary>
    private byte[] WithMac(byte[] body)
    {
        var mac = System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(TokenCacheUnderTest.TestCacheEntryKey), Convert.FromHexString(_hash.Hex).Concat(body).ToArray());
        return [.. mac, .. body];
    }

    private const int HmacLength = 32;

    private static CacheEntrySeal Seal(string key)
        => new(Options.Create(new TokenValidationOptions { CacheEntryKey = key }));
}
