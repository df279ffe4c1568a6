using System.Security.Cryptography;
using Aspire.Hosting.Publishing;

namespace Blog.AppHost.Identity;

/// <summary>
/// The secrets the two services share or the user service alone holds. None is a literal in source: each is an
/// Aspire parameter marked secret, generated for local development on first run and persisted in the AppHost's
/// user secrets (so a token signed before a restart still verifies after it), or supplied as Parameters:NAME.
/// </summary>
public sealed record IdentityParameters(
    IResourceBuilder<ParameterResource> SigningKey,
    IResourceBuilder<ParameterResource> EncryptionKey,
    IResourceBuilder<ParameterResource> PostServiceClientSecret,
    IResourceBuilder<ParameterResource> PostServiceDirectorySecret,
    IResourceBuilder<ParameterResource> AdminUserName,
    IResourceBuilder<ParameterResource> AdminPassword,
    IResourceBuilder<ParameterResource> WebClientSecret)
{
    /// <summary>Setting of the AppHost: the user service's public URL in a deployment (default: its http endpoint).</summary>
    public const string PublicUrlSetting = "UserService:PublicUrl";

    /// <summary>
    /// The issuer both services pin: the user service's public URL, the one clients reach it by (RFC 8414 section 3.3
    /// wants the discovery document's issuer to be the URL it was fetched from). In development that is the endpoint
    /// ./run.sh prints; a deployment sets <see cref="PublicUrlSetting"/>. The post service reaches the user service by
    /// service discovery all the same (its back channel), so the public URL need not resolve inside a cluster.
    /// </summary>
    public static ReferenceExpression IssuerOf(IResourceBuilder<ProjectResource> userService)
    {
        var configured = userService.ApplicationBuilder.Configuration[PublicUrlSetting];
        if (!string.IsNullOrEmpty(configured))
        {
            var publicUrl = new Uri(configured, UriKind.Absolute).AbsoluteUri;
            return ReferenceExpression.Create($"{(publicUrl.EndsWith('/') ? publicUrl : publicUrl + "/")}");
        }

        return ReferenceExpression.Create($"{userService.GetEndpoint("http")}/");
    }

    public static IdentityParameters Add(IDistributedApplicationBuilder builder) => new(
        builder.AddParameter("token-signing-key", new RsaPrivateKeyParameterDefault(), secret: true, persist: true),
        builder.AddParameter("token-encryption-key", new GenerateParameterDefault { MinLength = 64, Special = false }, secret: true, persist: true),
        builder.AddParameter("post-service-client-secret", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true),
        // A second client of the post service, for the user directory: its introspection credential serves nothing else.
        builder.AddParameter("post-service-directory-secret", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true),
        builder.AddParameter("admin-username", "admin"),
        builder.AddParameter("admin-password",
            new GenerateParameterDefault { MinLength = 20, MinLower = 2, MinUpper = 2, MinNumeric = 2, MinSpecial = 2 },
            secret: true, persist: true),
        // The web front end's client secret (confidential client blog-web): it and the user service alone know it.
        builder.AddParameter("web-client-secret", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true));
}

/// <summary>A fresh RSA-2048 private key, PKCS#8 DER in base64 (one line, so it fits a user-secrets value).</summary>
public sealed class RsaPrivateKeyParameterDefault : ParameterDefault
{
    public override string GetDefaultValue()
    {
        using var rsa = RSA.Create(2048);
        return Convert.ToBase64String(rsa.ExportPkcs8PrivateKey());
    }

    public override void WriteToManifest(ManifestPublishingContext context)
        => throw new NotSupportedException("Supply token-signing-key as a parameter value when publishing.");
}
