using System.Globalization;
using System.Security.Claims;
using Blog.ServiceDefaults.Http;
using Blog.UserService.Authorization;
using Blog.UserService.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.SignIn;

/// <summary>
/// <c>/signin</c>: a person signs in with user name and password (the token endpoint's <see cref="PasswordCheck"/>:
/// same throttling, same answer for an unknown user and a wrong password) and gets the sign-in cookie, with which the
/// authorization and device verification pages know them. Then back to where they came from (a local URL only).
/// </summary>
internal static class SignInPage
{
    public const string Path = "/signin";

    public const string SignedOutPath = "/signin/signed-out";

    public static void MapSignInPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Show).ExcludeFromDescription();
        // The token endpoint's per-address limit (its own budget): many user names from one address are refused too.
        app.MapPost(Path, SignInAsync).ExcludeFromDescription().DisableAntiforgery()
            .RequireClientRateLimit<RouteHandlerBuilder, TokenEndpointRateLimitOptions>("signin");
        app.MapGet(SignedOutPath, (HttpContext context) => HtmlPage.Render(context, "Signed out",
            HtmlPage.Paragraph("You are signed out of Blog. You can close this page."))).ExcludeFromDescription();
        app.MapGet(HtmlPage.StylesheetPath, () => Results.Text(HtmlPage.Stylesheet, "text/css")).ExcludeFromDescription();
    }

    private static IResult Show(HttpContext context, IAntiforgery antiforgery, string? returnUrl)
        => Render(context, antiforgery, LocalOrRoot(returnUrl), userName: null, error: null);

    private static async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery, PasswordCheck passwords,
        UserManager<BlogUser> users, TimeProvider time)
    {
        if (!context.Request.HasFormContentType)
        {
            return Results.BadRequest();
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = LocalOrRoot(form["returnUrl"]);
        var userName = form["username"].ToString();
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Render(context, antiforgery, returnUrl, userName, "The form expired: please sign in again.", StatusCodes.Status400BadRequest);
        }

        var result = await passwords.CheckAsync(context, userName, form["password"].ToString());
        if (result.RetryAfter is { } retryAfter)
        {
            context.Response.SetRetryAfter(retryAfter);
            return Render(context, antiforgery, returnUrl, userName, TokenEndpoint.TooManyFailures, StatusCodes.Status429TooManyRequests);
        }

        if (result.User is not { } user)
        {
            return Render(context, antiforgery, returnUrl, userName, TokenEndpoint.InvalidCredentials, StatusCodes.Status400BadRequest);
        }

        var identity = new ClaimsIdentity(SignInCookie.Scheme, Claims.Name, Claims.Role);
        identity.AddClaim(new Claim(Claims.Subject, user.Id));
        identity.AddClaim(new Claim(Claims.Name, user.UserName ?? ""));
        identity.AddClaim(new Claim(Claims.AuthenticationTime,
            time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        // A password change (or an administrator's lock) changes the stamp: the cookie then stops signing anyone in.
        identity.AddClaim(new Claim(SignInCookie.SecurityStampClaim, await users.GetSecurityStampAsync(user)));
        await context.SignInAsync(SignInCookie.Scheme, new ClaimsPrincipal(identity));
        return Results.LocalRedirect(returnUrl);
    }

    private static IResult Render(HttpContext context, IAntiforgery antiforgery, string returnUrl, string? userName, string? error,
        int statusCode = StatusCodes.Status200OK)
    {
        var body = (error is null ? "" : HtmlPage.Paragraph(error, "error"))
            + $"<form method=\"post\" action=\"{Path}\">"
            + HtmlPage.AntiforgeryField(context, antiforgery)
            + HtmlPage.HiddenField("returnUrl", returnUrl)
            + "<label for=\"username\">User name</label>"
            + $"<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" required value=\"{HtmlPage.Encode(userName)}\">"
            + "<label for=\"password\">Password</label>"
            + "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
            + "<button type=\"submit\">Sign in</button></form>\n";
        return HtmlPage.Render(context, "Sign in to Blog", body, [ClientOrigin(returnUrl)], statusCode);
    }

    /// <summary>A local URL only (no open redirect); anything else becomes the root.</summary>
    private static string LocalOrRoot(string? returnUrl)
        => !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";

    /// <summary>
    /// The client an authorization request in the return URL would send the person back to: after signing in, the
    /// redirects can end there, which the policy's form-action must allow (OpenIddict checks the URI itself).
    /// </summary>
    private static string? ClientOrigin(string returnUrl)
    {
        var query = returnUrl.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? null
            : QueryHelpers.ParseQuery(returnUrl[query..]).TryGetValue(Parameters.RedirectUri, out var redirect) ? LoopbackRedirect.CspSource(redirect) : null;
    }
}
