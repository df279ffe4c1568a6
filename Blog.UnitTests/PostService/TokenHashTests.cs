using Blog.PostService.Authentication;

namespace Blog.UnitTests.PostService;

public sealed class TokenHashTests
{
    [Fact]
    public void Hash_is_the_lowercase_hex_sha256_of_the_utf8_token()
    {
        // FIPS 180-2 test vector for "abc".
        var hash = TokenHash.Compute("abc");

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash.Hex);
        Assert.Equal("ba7816bf8f01cfea", hash.TokenId);
    }

    [Fact]
    public void Cache_key_is_the_prefix_and_the_hash_and_never_contains_the_token()
    {
        const string token = "eyJhbGciOiJSUzI1NiJ9.secret-payload.signature";

        var key = TokenHash.Compute(token).ToCacheKey(new TokenValidationOptions().CacheKeyPrefix);

        Assert.StartsWith(new TokenValidationOptions().CacheKeyPrefix, key);
        Assert.Matches("^blog:postservice:introspection:[0-9a-f]{64}$", key);
        Assert.DoesNotContain("secret-payload", key);
        Assert.DoesNotContain(token, TokenHash.Compute(token).ToString());
    }

    [Fact]
    public void Long_tokens_hash_like_short_ones_and_different_tokens_differ()
    {
        var longToken = new string('x', 20_000) + "é";

        Assert.Equal(TokenHash.Compute(longToken), TokenHash.Compute(string.Concat(new string('x', 20_000), "é")));
        Assert.NotEqual(TokenHash.Compute(longToken), TokenHash.Compute(longToken + "x"));
        Assert.Equal(64, TokenHash.Compute(longToken).Hex.Length);
    }
}
