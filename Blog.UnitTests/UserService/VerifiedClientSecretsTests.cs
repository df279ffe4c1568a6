using Blog.UserService.Authorization;
using Microsoft.Extensions.Options;

namespace Blog.UnitTests.UserService;

/// <summary>
/// The short memory of successful client-secret checks answers only "this exact secret matched this exact stored
/// hash, a moment ago": a wrong secret, a changed secret (new stored hash) or an old check is never accepted from it.
/// </summary>
public sealed class VerifiedClientSecretsTests
{
    private const string StoredHash = "AQAAAAEAACcQAAAAEPBKDF2-stored-hash-of-the-right-secret";
    private const string RightSecret = "the-right-secret-0123456789abcdef";

    private static readonly IOptions<AuthorizationServerOptions> Settings = Options.Create(new AuthorizationServerOptions());

    [Fact]
    public void Nothing_is_remembered_when_the_memory_is_zero()
    {
        var secrets = new VerifiedClientSecrets(new ManualClock(), Options.Create(new AuthorizationServerOptions { ClientSecretCheckMemory = TimeSpan.Zero }));
        secrets.Remember(StoredHash, RightSecret);

        Assert.False(secrets.IsVerified(StoredHash, RightSecret));
    }

    [Fact]
    public void A_remembered_secret_is_verified_for_its_stored_hash()
    {
        var secrets = new VerifiedClientSecrets(new ManualClock(), Settings);
        Assert.False(secrets.IsVerified(StoredHash, RightSecret)); // nothing remembered before the real check

        secrets.Remember(StoredHash, RightSecret);

        Assert.True(secrets.IsVerified(StoredHash, RightSecret));
    }

    [Theory]
    [InlineData("the-wrong-secret")]
    [InlineData("the-right-secret-0123456789abcde")]
    [InlineData("the-right-secret-0123456789abcdef ")]
    [InlineData("THE-RIGHT-SECRET-0123456789ABCDEF")]
    public void A_wrong_secret_is_not_verified_after_the_right_one_was_remembered(string wrong)
    {
        var secrets = new VerifiedClientSecrets(new ManualClock(), Settings);
        secrets.Remember(StoredHash, RightSecret);

        Assert.False(secrets.IsVerified(StoredHash, wrong));
        Assert.True(secrets.IsVerified(StoredHash, RightSecret)); // the wrong one did not evict or replace the right one
    }

    [Fact]
    public void A_changed_secret_has_a_new_stored_hash_which_starts_unverified()
    {
        var secrets = new VerifiedClientSecrets(new ManualClock(), Settings);
        secrets.Remember(StoredHash, RightSecret);

        // The client's secret was changed: its stored hash (salted) differs, even for the same old secret presented.
        Assert.False(secrets.IsVerified("AQAAAAEAACcQAAAAEPBKDF2-stored-hash-after-rotation", RightSecret));
    }

    [Fact]
    public void A_check_is_remembered_for_its_lifetime_only()
    {
        var clock = new ManualClock();
        var secrets = new VerifiedClientSecrets(clock, Settings);
        secrets.Remember(StoredHash, RightSecret);

        clock.Advance(Settings.Value.ClientSecretCheckMemory - TimeSpan.FromSeconds(1));
        Assert.True(secrets.IsVerified(StoredHash, RightSecret));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(secrets.IsVerified(StoredHash, RightSecret));
    }

    [Fact]
    public void At_most_the_capacity_of_stored_hashes_is_remembered()
    {
        var clock = new ManualClock();
        var secrets = new VerifiedClientSecrets(clock, Settings);
        for (var client = 0; client < VerifiedClientSecrets.Capacity + 10; client++)
        {
            secrets.Remember($"hash-{client}", RightSecret);
        }

        Assert.True(secrets.IsVerified("hash-0", RightSecret));
        Assert.False(secrets.IsVerified($"hash-{VerifiedClientSecrets.Capacity}", RightSecret)); // over capacity: checked uncached

        // Expired entries make room again.
        clock.Advance(Settings.Value.ClientSecretCheckMemory);
        secrets.Remember("hash-new", RightSecret);
        Assert.True(secrets.IsVerified("hash-new", RightSecret));
    }
}
