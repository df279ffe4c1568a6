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
    IReadOnlyList<CachedClaim> Claims,
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

[JsonSerializable(typeof(CachedIntrospection))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CachedIntrospectionJsonContext : JsonSerializerContext;
