using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Blog.ServiceDefaults.Revocation;
using OpenIddict.Abstractions;

namespace Blog.PostService.Authentication;

/// <summary>
/// An introspection result that passed every OpenIddict check, reduced to what rebuilds the same principal: each
/// claim (type, value, value type, issuers; OpenIddict's private oi_* claims included, so scopes, audiences and the
/// token type read the same), the identity's authentication/name/role types, the token's exp and when the entry
/// itself stops being usable (never later than exp). Subject, issue time and login (authorization id) say which
/// revocations cover it. <see cref="StoredAt"/> is when the post service made it, so that a reader can bound it again.
/// </summary>
public sealed record CachedIntrospection(
    string? AuthenticationType,
    string NameClaimType,
    string RoleClaimType,
    [property: JsonConverter(typeof(CompactClaimsConverter))] IReadOnlyList<CachedClaim> Claims,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset CachedUntil,
    string? Subject = null,
    DateTimeOffset? IssuedAt = null,
    string? AuthorizationId = null,
    DateTimeOffset? StoredAt = null)
{
    public static CachedIntrospection FromPrincipal(ClaimsPrincipal principal, DateTimeOffset? expiresAt, DateTimeOffset cachedUntil, DateTimeOffset storedAt)
    {
        var identity = principal.Identities.FirstOrDefault()
            ?? throw new ArgumentException("The principal has no identity.", nameof(principal));
        var claims = identity.Claims
            .Select(claim => new CachedClaim(claim.Type, claim.Value, claim.ValueType, claim.Issuer, claim.OriginalIssuer))
            .ToArray();
        // Subject and issue time decide whether a "revoke everything of this user" event covers the entry, the login
        // (absent from tokens without a refresh token) whether a "revoke this login" event does.
        return new CachedIntrospection(identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType, claims, expiresAt, cachedUntil,
            principal.GetClaim(OpenIddictConstants.Claims.Subject), principal.GetCreationDate(), principal.GetClaim(RevocationContract.AuthorizationClaim), storedAt);
    }

    /// <summary>Usable only before both its own end and the token's exp.</summary>
    public bool IsUsableAt(DateTimeOffset now) => now < CachedUntil && (ExpiresAt is not { } exp || now < exp);

    /// <summary>
    /// The entry read back from a shared store, its end bounded again as when it was made: never past the token's exp,
    /// <paramref name="maximum"/> after it was stored (the setting may have been lowered since) or its own end. Null
    /// when it cannot be bounded (no exp or no time of storage): such an entry is refused, never served.
    /// </summary>
    public CachedIntrospection? Recapped(TimeSpan maximum)
    {
        if (ExpiresAt is not { } exp || StoredAt is not { } storedAt)
        {
            return null;
        }

        var end = CachedUntil;
        if (exp < end)
        {
            end = exp;
        }

        if (storedAt + maximum < end)
        {
            end = storedAt + maximum;
        }

        return end == CachedUntil ? this : this with { CachedUntil = end };
    }

    /// <summary>A fresh principal per request, so nothing a request does to it leaks into another.</summary>
    public ClaimsPrincipal ToPrincipal()
    {
        var identity = new ClaimsIdentity(AuthenticationType, NameClaimType, RoleClaimType);
        foreach (var claim in Claims)
        {
            identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType, claim.Issuer, claim.OriginalIssuer, identity));
        }

        return new ClaimsPrincipal(identity);
    }

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, CachedIntrospectionJsonContext.Default.CachedIntrospection);

    public static CachedIntrospection? Deserialize(ReadOnlySpan<byte> utf8Json)
        => JsonSerializer.Deserialize(utf8Json, CachedIntrospectionJsonContext.Default.CachedIntrospection);
}

public sealed record CachedClaim(string Type, string Value, string ValueType, string Issuer, string OriginalIssuer);

/// <summary>
/// Claims as short arrays, <c>[type, value, valueType, issuer, originalIssuer]</c>, with what repeats left out: a null
/// or missing value type is a string, a null or missing issuer is the previous claim's (the first's: the default
/// issuer), a null or missing original issuer is the issuer. Every claim of an introspected token has the same issuer
/// and nearly all are strings, so this is a third of the size of one object per claim, and each Redis hit reads (and
/// MACs, and parses) the entry whole.
/// </summary>
internal sealed class CompactClaimsConverter : JsonConverter<IReadOnlyList<CachedClaim>>
{
    public override IReadOnlyList<CachedClaim> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        Expect(reader.TokenType == JsonTokenType.StartArray);
        var claims = new List<CachedClaim>();
        var issuer = ClaimsIdentity.DefaultIssuer;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(reader.TokenType == JsonTokenType.StartArray);
            string? type = null, value = null, valueType = null, claimIssuer = null, originalIssuer = null;
            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                Expect(reader.TokenType is JsonTokenType.String or JsonTokenType.Null);
                var field = reader.GetString();
                switch (count++)
                {
                    case 0: type = field; break;
                    case 1: value = field; break;
                    case 2: valueType = field; break;
                    case 3: claimIssuer = field; break;
                    case 4: originalIssuer = field; break;
                    default: throw new JsonException("A cached claim has at most five fields.");
                }
            }

            Expect(type is not null && value is not null);
            issuer = claimIssuer ?? issuer;
            claims.Add(new CachedClaim(type!, value!, valueType ?? ClaimValueTypes.String, issuer, originalIssuer ?? issuer));
        }

        return claims;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<CachedClaim> claims, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        var issuer = ClaimsIdentity.DefaultIssuer;
        foreach (var claim in claims)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(claim.Type);
            writer.WriteStringValue(claim.Value);
            var sameIssuer = claim.Issuer == issuer;
            var sameOriginal = claim.OriginalIssuer == claim.Issuer;
            var stringType = claim.ValueType == ClaimValueTypes.String;
            if (!stringType || !sameIssuer || !sameOriginal)
            {
                WriteOrNull(writer, stringType ? null : claim.ValueType);
            }

            if (!sameIssuer || !sameOriginal)
            {
                WriteOrNull(writer, sameIssuer ? null : claim.Issuer);
            }

            if (!sameOriginal)
            {
                writer.WriteStringValue(claim.OriginalIssuer);
            }

            writer.WriteEndArray();
            issuer = claim.Issuer;
        }

        writer.WriteEndArray();
    }

    private static void WriteOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new JsonException("Not a cached claim list.");
        }
    }
}

[JsonSerializable(typeof(CachedIntrospection))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CachedIntrospectionJsonContext : JsonSerializerContext;
