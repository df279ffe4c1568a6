using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Blog.Tests.Fixtures;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Blog.Tests.Security;

/// <summary>
/// Real access tokens of the user service, made expired as if their lifetime had passed, with no test-only path in
/// the product. OpenIddict takes a stored token's dates from its record in the database, so the record's dates move
/// back; and the token itself is re-issued with the same claims and the dates moved back, signed and encrypted with
/// the user service's own keys (AppHost parameters, derived as AuthorizationServerExtensions.CreateSigningKey and
/// CreateEncryptionKey derive them), so the JWT says what the record says.
/// </summary>
public static class ExpiredTokens
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The token, issued two hours ago and expired an hour ago; the original expires with it.</summary>
    public static async Task<string> ExpireAsync(BlogAppFixture fixture, string accessToken, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var (issuedAt, expires) = (now.AddHours(-2), now.AddHours(-1));
        var expired = await ReissueAsync(fixture, accessToken, issuedAt, expires);

        await MoveRecordDatesAsync(fixture, accessToken, issuedAt, expires, cancellationToken);
        return expired;
    }

    /// <summary>
    /// The token, re-issued to expire at <paramref name="expires"/> (whole seconds, as exp has) and otherwise as it was:
    /// a short-lived token; the original expires with it.
    /// </summary>
    public static async Task<string> ShortenAsync(BlogAppFixture fixture, string accessToken, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        expires = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds((await ReadPayloadAsync(fixture, accessToken)).GetProperty(JwtRegisteredClaimNames.Iat).GetInt64());
        var shortened = await ReissueAsync(fixture, accessToken, issuedAt, expires);
        await MoveRecordDatesAsync(fixture, accessToken, issuedAt, expires, cancellationToken);
        return shortened;
    }

    private static async Task MoveRecordDatesAsync(BlogAppFixture fixture, string accessToken, DateTimeOffset issuedAt, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var tokenId = (await ReadPayloadAsync(fixture, accessToken)).GetProperty("oi_tkn_id").GetString();
        await using var connection = await fixture.OpenDatabaseAsync(BlogResources.UsersDatabase, cancellationToken);
        await using var command = new NpgsqlCommand(
            """UPDATE "OpenIddictTokens" SET "CreationDate" = @issuedAt, "ExpirationDate" = @expires WHERE "Id" = @id""", connection);
        command.Parameters.AddWithValue("issuedAt", issuedAt.UtcDateTime);
        command.Parameters.AddWithValue("expires", expires.UtcDateTime);
        command.Parameters.AddWithValue("id", tokenId ?? "");
        Assert.Equal(1, await command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// The token re-issued with the given dates (iat, nbf, exp) and otherwise the same headers and claims. Only the JWT
    /// changes: the server still goes by the record's dates, so a copy of a current token with other dates still works.
    /// </summary>
    public static async Task<string> ReissueAsync(BlogAppFixture fixture, string accessToken, DateTimeOffset issuedAt, DateTimeOffset expires)
    {
        var (outer, inner, encryptionKey) = await DecryptAsync(fixture, accessToken);
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(inner.EncodedPayload))!
            .ToDictionary(claim => claim.Key, claim => (object)claim.Value, StringComparer.Ordinal);
        claims[JwtRegisteredClaimNames.Iat] = issuedAt.ToUnixTimeSeconds();
        claims[JwtRegisteredClaimNames.Nbf] = issuedAt.ToUnixTimeSeconds();
        claims[JwtRegisteredClaimNames.Exp] = expires.ToUnixTimeSeconds();

        // Not disposed: IdentityModel may cache the signature provider made for this key and use it again.
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(await fixture.GetParameterValueAsync("token-signing-key")), out _);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = inner.Typ,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = inner.Kid }, inner.Alg),
            EncryptingCredentials = new EncryptingCredentials(encryptionKey, outer.Alg, outer.Enc),
            AdditionalHeaderClaims = new Dictionary<string, object> { [JwtHeaderParameterNames.Typ] = outer.Typ },
        });
    }

    /// <summary>The claims the token carries (it is encrypted: only the user service's key reads it).</summary>
    public static async Task<JsonElement> ReadPayloadAsync(BlogAppFixture fixture, string accessToken)
    {
        var (_, inner, _) = await DecryptAsync(fixture, accessToken);
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(inner.EncodedPayload));
        return payload.RootElement.Clone();
    }

    private static async Task<(JsonWebToken Outer, JsonWebToken Inner, SymmetricSecurityKey EncryptionKey)> DecryptAsync(BlogAppFixture fixture, string accessToken)
    {
        var encryptionKey = new SymmetricSecurityKey(SHA256.HashData(Encoding.UTF8.GetBytes(await fixture.GetParameterValueAsync("token-encryption-key"))));
        var outer = Handler.ReadJsonWebToken(accessToken);
        var inner = Handler.ReadJsonWebToken(Handler.DecryptToken(outer, new TokenValidationParameters { TokenDecryptionKey = encryptionKey }));
        return (outer, inner, encryptionKey);
    }
}
