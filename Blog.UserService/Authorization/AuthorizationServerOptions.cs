using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Blog.UserService.Authorization;

/// <summary>The OAuth 2 server's settings, section <c>AuthorizationServer</c>. Secrets come from the AppHost's parameters.</summary>
public sealed class AuthorizationServerOptions
{
    public const string SectionName = "AuthorizationServer";

    /// <summary>Pinned issuer; the post service expects exactly this value.</summary>
    [Required]
    public Uri? Issuer { get; set; }

    /// <summary>
    /// The legacy password grant (RFC 9700 section 2.4: must not be used; the client sees the password). On in
    /// Development only, for the curl tour and the tests; clients use the authorization code or device flow.
    /// </summary>
    public bool AllowPasswordGrant { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// The absolute end of a login, however often it is refreshed: past it the refresh grant answers invalid_grant and
    /// the person signs in again (RFC 9700 section 4.14.2). The refresh token's own lifetime is its idle end.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "365.00:00:00")]
    public TimeSpan LoginLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a revocation waits for Redis to take its marker and event: past it the revocation stays in the outbox
    /// for the background delivery and the caller is answered (the database already refuses the token at
    /// introspection), so a hung Redis does not hold the revoking request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan RevocationPublishTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>RSA private key, PKCS#8 DER in base64: signs tokens, survives restarts.</summary>
    [Required]
    public string SigningKey { get; set; } = "";

    /// <summary>Secret (at least 32 characters) from which the AES-256 token encryption key is derived.</summary>
    [Required, MinLength(32)]
    public string EncryptionKey { get; set; } = "";

    /// <summary>The confidential post-service client's secret (introspection only).</summary>
    [Required, MinLength(16)]
    public string PostServiceClientSecret { get; set; } = "";

    /// <summary>The confidential post-service-directory client's secret (client credentials for users.read only).</summary>
    [Required, MinLength(16)]
    public string PostServiceDirectorySecret { get; set; } = "";

    /// <summary>
    /// How long a successful check of a confidential client's secret (PBKDF2) is remembered for the same secret and
    /// stored hash (<see cref="VerifiedClientSecrets"/>); zero checks every request in full.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClientSecretCheckMemory { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a client read from the database is remembered (<see cref="RecentClients"/>): a change to a client is
    /// seen within this on every instance; zero reads the client on every request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClientLookupMemory { get; set; } = TimeSpan.FromMinutes(1);

    [Required]
    public AdminAccountOptions Admin { get; set; } = new();

    /// <summary>
    /// The API reference pages the blog-api-reference client may return to (exact URLs, e.g.
    /// <c>http://localhost:5102/scalar/v1</c>); the AppHost supplies both services' pages. None: the client has none.
    /// </summary>
    public string[] ApiReferenceRedirectUris { get; set; } = [];

    /// <summary>
    /// The web front end's client secret (confidential client blog-web). Empty: the client is not registered (an
    /// application without the front end).
    /// </summary>
    public string WebClientSecret { get; set; } = "";

    /// <summary>The web front end's address (e.g. <c>http://localhost:5103</c>); its redirect URIs are registered under it.</summary>
    public Uri? WebBaseUrl { get; set; }
}

/// <summary>
/// The bootstrap administrator, created at start-up on a first install (no user holds the admin role). Changing these
/// later changes nothing: administrators are then made by administrators.
/// </summary>
public sealed class AdminAccountOptions
{
    [Required]
    public string UserName { get; set; } = "";

    /// <summary>The name others see (its posts); not the login name.</summary>
    [Required, MaxLength(64)]
    public string DisplayName { get; set; } = "Administrator";

    [Required]
    public string Password { get; set; } = "";

    public string Email { get; set; } = "admin@blog.local";
}

/// <summary>Checks what data annotations cannot: that the signing key is a usable RSA key.</summary>
public sealed class AuthorizationServerOptionsValidator : IValidateOptions<AuthorizationServerOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthorizationServerOptions options)
    {
        if (!string.IsNullOrEmpty(options.WebClientSecret) && (options.WebClientSecret.Length < 16 || options.WebBaseUrl is not { IsAbsoluteUri: true }))
        {
            return ValidateOptionsResult.Fail($"{AuthorizationServerOptions.SectionName}:WebClientSecret needs at least 16 characters and an absolute WebBaseUrl.");
        }

        if (string.IsNullOrEmpty(options.SigningKey))
        {
            return ValidateOptionsResult.Skip; // [Required] reports it
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(options.SigningKey), out _);
            return rsa.KeySize >= 2048
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{AuthorizationServerOptions.SectionName}:SigningKey must be an RSA key of at least 2048 bits.");
        }
        catch (Exception exception) when (exception is FormatException or CryptographicException)
        {
            return ValidateOptionsResult.Fail($"{AuthorizationServerOptions.SectionName}:SigningKey is not a base64 PKCS#8 RSA private key.");
        }
    }
}
