using System.Security.Cryptography;
using Blog.ServiceDefaults.Database;
using Blog.ServiceDefaults.OAuth;
using Blog.ServiceDefaults.Revocation;
using Blog.UserService.Infrastructure;
using Blog.UserService.Users;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

public static class AuthorizationServerExtensions
{
    public const string AdminPolicy = "admin";
    public const string UserPolicy = "user";
    public const string UsersReadPolicy = "users.read";

    /// <summary>Identity (users, roles, lockout), the OpenIddict server, and local validation of its own tokens.</summary>
    public static void AddBlogAuthorizationServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthorizationServerOptions>()
            .BindConfiguration(AuthorizationServerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthorizationServerOptions>, AuthorizationServerOptionsValidator>();

        builder.AddBlogIdentity();
        builder.AddOpenIddictServer();
        builder.Services.AddBlogAuthorizationPolicies();
        builder.Services.AddRevocationDelivery();
        builder.AddLoginProtection();
        builder.Services.AddScoped<PasswordCheck>();
        builder.Services.AddSingleton<VerifiedClientSecrets>();
        builder.Services.AddSingleton<RecentClients>();
        builder.Services.AddDatabaseSeeder<UsersDbContext, AuthorizationDataSeeder>();
    }

    /// <summary>ASP.NET Identity: users, roles, the password rule, lockout by administrators only.</summary>
    private static void AddBlogIdentity(this IHostApplicationBuilder builder)
    {
        // Section "Identity" (IdentityOptions). The password rule is PasswordPolicy alone, not configurable below it.
        // Failed passwords never lock an account (LoginThrottle slows the guessing source instead); only an
        // administrator locks.
        builder.Services.Configure<IdentityOptions>(builder.Configuration.GetSection("Identity"));

        builder.Services.AddIdentityCore<BlogUser>(options =>
            {
                // Email addresses are not verified: unique ones would only let anyone probe who registered which address.
                options.User.RequireUniqueEmail = false;
                options.Lockout.AllowedForNewUsers = true;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<UsersDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        // Identity's own validator demands digits, cases and symbols (composition rules ASVS V6.2.5 rules out) and 6
        // characters: replaced, not added to.
        builder.Services.RemoveAll<IPasswordValidator<BlogUser>>();
        builder.Services.AddScoped<IPasswordValidator<BlogUser>, PasswordPolicy>();
    }

    /// <summary>
    /// The OpenIddict server (endpoints, flows, scopes, handlers; issuer, lifetimes and keys from the validated
    /// <see cref="AuthorizationServerOptions"/>) and the validation of its own tokens for the user service's APIs.
    /// </summary>
    private static void AddOpenIddictServer(this IHostApplicationBuilder builder)
    {
        var allowHttp = builder.Environment.IsDevelopment();
        builder.Services.AddOpenIddict()
            .AddCore(options =>
            {
                options.UseEntityFrameworkCore().UseDbContext<UsersDbContext>();
                // Client secrets are PBKDF2-hashed; the post service presents its own on every introspection.
                options.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication, ClientSecretCheckingApplicationManager>();
            })
            .AddServer(options =>
            {
                options.SetTokenEndpointUris("connect/token")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetAuthorizationEndpointUris("connect/authorize")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetDeviceAuthorizationEndpointUris("connect/device")
                    .SetEndUserVerificationEndpointUris("connect/verify");

                // The password grant is enabled by AuthorizationServer:AllowPasswordGrant only (see ApplySettings).
                options.AllowAuthorizationCodeFlow()
                    .AllowDeviceAuthorizationFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();
                // Every code needs PKCE, and only S256: "plain" would hand the verifier to whoever sees the request.
                options.RequireProofKeyForCodeExchange();
                options.Configure(server =>
                {
                    server.CodeChallengeMethods.Clear();
                    server.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                });

                options.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess,
                    BlogScopes.Posts, BlogScopes.Account, BlogScopes.UsersRead);

                // Rotation without OpenIddict's default 30 s leeway (RFC 9700 section 4.14.2, as Keycloak's "revoke
                // refresh token" with a maximum reuse of 0): a rotated refresh token presented again is a stolen copy,
                // whichever party holds it, and ends the whole login (RevokeLoginOnRefreshTokenReuse).
                options.SetRefreshTokenReuseLeeway(TimeSpan.Zero);

                options.AddEventHandler(PublishRevokedToken.Descriptor);
                options.AddEventHandler(DevicePollingPace.Descriptor);
                options.AddEventHandler(ExposeAuthorizationId.Descriptor);
                options.AddEventHandler(RevokeLoginOfRevokedRefreshToken.Descriptor);
                options.AddEventHandler(RevokeLoginOnRefreshTokenReuse.Descriptor);

                var aspNetCore = options.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough();
                if (allowHttp)
                {
                    // Local runs are plain http (no development certificate); production requires https.
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(options =>
            {
                // The user service's own APIs validate its own tokens in-process, and check the token's entry in the
                // database on every request, so a revoked token (logout-all, demotion, lock) stops working here at once.
                options.UseLocalServer();
                options.EnableTokenEntryValidation();
                // Only tokens meant for the user service (scopes account and users.read): a person's token for the
                // post service, which the post service receives, must not open the account and admin APIs here.
                options.AddAudiences(BlogResources.UserService);
                options.UseAspNetCore();
            });

        builder.Services.AddOptions<OpenIddictServerOptions>()
            .Configure<IOptions<AuthorizationServerOptions>>((server, settings) => ApplySettings(server, settings.Value));
    }

    /// <summary>What OpenIddict's SetIssuer, SetAccessTokenLifetime, SetRefreshTokenLifetime, AddSigningKey and
    /// AddEncryptionKey would set, from the validated settings.</summary>
    private static void ApplySettings(OpenIddictServerOptions server, AuthorizationServerOptions settings)
    {
        if (settings.Issuer is not null)
        {
            server.Issuer = settings.Issuer;
        }

        if (settings.AllowPasswordGrant)
        {
            server.GrantTypes.Add(GrantTypes.Password);
        }

        server.AccessTokenLifetime = settings.AccessTokenLifetime;
        server.RefreshTokenLifetime = settings.RefreshTokenLifetime;
        // Keys from configuration, never ephemeral: tokens issued before a restart stay valid after it.
        if (!string.IsNullOrEmpty(settings.SigningKey))
        {
            server.SigningCredentials.Add(new SigningCredentials(CreateSigningKey(settings.SigningKey), SecurityAlgorithms.RsaSha256));
        }

        if (!string.IsNullOrEmpty(settings.EncryptionKey))
        {
            server.EncryptionCredentials.Add(new EncryptingCredentials(CreateEncryptionKey(settings.EncryptionKey),
                SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }

    /// <summary>Who may call which API of the user service: people with the account scope, admins, the post service.</summary>
    private static void AddBlogAuthorizationPolicies(this IServiceCollection services)
    {
        services.AddAuthentication(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        services.AddAuthorizationBuilder()
            .AddPolicy(UserPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.IsPerson() && context.User.HasScope(BlogScopes.Account)))
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(BlogRoles.Admin)
                .RequireAssertion(context => context.User.HasScope(BlogScopes.Account)))
            .AddPolicy(UsersReadPolicy, policy => policy.RequireAuthenticatedUser().RequireAssertion(context => context.User.HasScope(BlogScopes.UsersRead)));
    }

    /// <summary>Revoking tokens and telling the resource servers (the outbox and its delivery).</summary>
    private static void AddRevocationDelivery(this IServiceCollection services)
    {
        services.AddScoped<TokenRevocation>();
        services.AddSingleton<RevocationPublisher>();
        services.AddHostedService<RevocationOutboxDelivery>();
        services.AddHostedService<RevocationPathWarmUp>();
        services.AddSingleton<RevocationTelemetry>();
    }

    /// <summary>Per-address limits of the token and registration endpoints, and the throttle of password guessing.</summary>
    private static void AddLoginProtection(this IHostApplicationBuilder builder)
    {
        builder.AddClientRateLimiting();
        builder.Services.AddOptions<LoginThrottleOptions>()
            .BindConfiguration(LoginThrottleOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<LoginThrottle>();
    }

    internal static RsaSecurityKey CreateSigningKey(string base64Pkcs8)
    {
        // The RSA instance lives as long as the server: OpenIddict signs with it on every token.
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(base64Pkcs8), out _);
        var keyId = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        return new RsaSecurityKey(rsa) { KeyId = keyId };
    }

    internal static SymmetricSecurityKey CreateEncryptionKey(string secret)
        => new(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
}
