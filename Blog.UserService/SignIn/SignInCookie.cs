using System.Security.Claims;
using Blog.UserService.Authorization;
using Blog.UserService.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.SignIn;

/// <summary>
/// The person's session at the user service: a cookie set by the sign-in page and read by the authorization, device
/// verification and end-session endpoints (never by the APIs, which take access tokens only).
/// </summary>
internal static class SignInCookie
{
    public const string Scheme = "Blog.SignIn";

    public const string SecurityStampClaim = "security_stamp";

    public static void AddSignInPages(this IHostApplicationBuilder builder)
    {
        // The cookie, antiforgery tokens and the consent form are protected with keys every replica reads from the
        // user service's database: a sign-in started on one replica continues on another, and survives restarts.
        builder.Services.AddDataProtection()
            .SetApplicationName("Blog.UserService")
            .PersistKeysToDbContext<UsersDbContext>();
        MigratedKeyStore.WrapConfiguredStore(builder.Services);
        // Data protection also reads its key ring eagerly at start, in a hosted service: without it the ring is read at
        // first use, through the store above. (CleanStartLogTests fails if a framework update renames it.)
        foreach (var eager in builder.Services.Where(descriptor => descriptor.ServiceType == typeof(IHostedService)
                     && descriptor.ImplementationType?.Name == "DataProtectionHostedService").ToList())
        {
            builder.Services.Remove(eager);
        }

        builder.Services.AddAuthentication()
            .AddCookie(Scheme, options =>
            {
                options.Cookie.Name = "blog.signin";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = SignInPage.Path;
                options.ReturnUrlParameter = "returnUrl";
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = false;
            });
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "blog.antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "__antiforgery";
        });
    }

    public static void MapSignInPages(this IEndpointRouteBuilder app)
    {
        app.MapSignInPage();
        app.MapAuthorizationEndpoint();
        app.MapEndSessionEndpoint();
        app.MapDeviceVerificationPage();
    }

    /// <summary>
    /// The signed-in person, if the cookie is valid and still theirs: the account exists, may sign in, and its security
    /// stamp is the one the cookie was issued with.
    /// </summary>
    public static async Task<SignedInPerson?> GetSignedInAsync(HttpContext context, UserManager<BlogUser> users, PasswordCheck passwords)
    {
        var result = await context.AuthenticateAsync(Scheme);
        if (!result.Succeeded || result.Principal.FindFirst(Claims.Subject)?.Value is not { } userId
            || await users.FindByIdAsync(userId) is not { } user
            || !await passwords.CanSignInAsync(user)
            || result.Principal.FindFirst(SecurityStampClaim)?.Value != await users.GetSecurityStampAsync(user))
        {
            return null;
        }

        var authTime = long.TryParse(result.Principal.FindFirst(Claims.AuthenticationTime)?.Value, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : result.Properties?.IssuedUtc ?? DateTimeOffset.UtcNow;
        return new SignedInPerson(user, authTime);
    }
}

internal sealed record SignedInPerson(BlogUser User, DateTimeOffset SignedInAt);
