using System.Security.Claims;
using Blog.ServiceDefaults.OAuth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Blog.Web.Extensions;
using OpenIddict.Abstractions;
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.Web.SignIn;

/// <summary>
/// Sign-in and sign-out through the user service (authorization code with PKCE, confidential client blog-web). The
/// tokens stay here (<see cref="WebSessions"/>); the browser gets an HttpOnly cookie naming its session.
/// </summary>
public static partial class SignInEndpoints
{
    public const string SignedOutPath = "/signed-out";

    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin", SignInAsync);
        // The user service's answer: OpenIddict checked state, issuer and PKCE, and redeemed the code.
        app.MapMethods(BlogClients.WebRedirectPath, [HttpMethods.Get, HttpMethods.Post], (Delegate)CompleteSignInAsync).DisableAntiforgery();
        app.MapPost("/signout", SignOutAsync);
        app.MapMethods(BlogClients.WebPostLogoutRedirectPath, [HttpMethods.Get, HttpMethods.Post], (Delegate)CompleteSignOutAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> SignInAsync(string? returnUrl, OpenIddictClientService client, IOptions<BlogWebOptions> options, CancellationToken cancellationToken)
    {
        try
        {
            // The user service's discovery document (cached once read): unreachable, the page says so with 503
            // instead of OpenIddict's bare error answer.
            await client.GetServerConfigurationByIssuerAsync(options.Value.Authority!, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the failure (refused, timed out, an unreadable document: OpenIddict reports each differently),
            // nobody can sign in until the user service answers.
            throw new ServiceUnavailableException("user service", exception);
        }

        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) }, [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> CompleteSignInAsync(HttpContext context, WebSessions sessions)
    {
        var result = await context.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { Identity.IsAuthenticated: true } principal
            || result.Properties?.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.RefreshToken) is not { } refreshToken)
        {
            // Denied on the consent page, or an answer that does not belong to a sign-in started here.
            return TypedResults.Redirect($"{SignedOutPath}?reason=denied");
        }

        // The access token of the code exchange names both resources; it is dropped, and each resource gets a token of its
        // own from the refresh token when first needed.
        var session = sessions.Start(refreshToken, result.Properties.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.BackchannelIdentityToken));
        var identity = new ClaimsIdentity(CookieAuthenticationDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.AddClaim(new Claim(Claims.Subject, principal.FindFirstValue(Claims.Subject) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? ""));
        identity.AddClaim(new Claim(Claims.Name, principal.FindFirstValue(Claims.Name) ?? principal.FindFirstValue(ClaimTypes.Name) ?? ""));
        identity.AddClaim(new Claim(UserTokens.SessionClaim, session.Id));
        return TypedResults.SignIn(new ClaimsPrincipal(identity),
            new AuthenticationProperties { RedirectUri = LocalOrHome(result.Properties.RedirectUri) },
            CookieAuthenticationDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> SignOutAsync(
        HttpContext context, IAntiforgery antiforgery, WebSessions sessions, OpenIddictClientService client, ILoggerFactory loggers)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }

        var session = sessions.Find(context.User.FindFirstValue(UserTokens.SessionClaim));
        sessions.End(session?.Id);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (session is null)
        {
            return TypedResults.Redirect(SignedOutPath);
        }

        try
        {
            // The refresh token is the login's lasting credential: revoked, nobody can mint tokens from it.
            await client.RevokeTokenAsync(new()
            {
                Token = session.RefreshToken,
                TokenTypeHint = TokenTypeHints.RefreshToken,
                CancellationToken = context.RequestAborted,
            });
        }
        catch (Exception exception) when (exception is OpenIddictExceptions.ProtocolException or HttpRequestException)
        {
            // Forgotten here all the same; the user service ends it after its idle lifetime.
            LogRevocationFailed(loggers.CreateLogger(typeof(SignInEndpoints)), exception);
        }

        // The session at the user service ends too (RP-initiated logout; the person confirms there), then back here.
        var properties = new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictClientAspNetCoreConstants.Properties.IdentityTokenHint] = session.IdentityToken,
        })
        { RedirectUri = SignedOutPath };
        return TypedResults.SignOut(properties, [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> CompleteSignOutAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        return TypedResults.Redirect(LocalOrHome(result.Properties?.RedirectUri ?? SignedOutPath));
    }

    /// <summary>Only a path of this site: never another origin (an open redirect), nor "//host" or "/\host".</summary>
    public static string LocalOrHome(string? url)
        => url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";

    [LoggerMessage(LogLevel.Warning, "Could not revoke the refresh token at sign-out")]
    private static partial void LogRevocationFailed(ILogger logger, Exception exception);
}
