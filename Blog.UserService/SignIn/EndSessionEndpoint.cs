using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Server.AspNetCore;

namespace Blog.UserService.SignIn;

/// <summary>
/// <c>/connect/endsession</c> (OpenID Connect RP-initiated logout): the person confirms, the sign-in cookie is removed,
/// and OpenIddict sends them back to the client's registered post-logout redirect URI (or to a "signed out" page).
/// Asking first means a link on another site cannot sign anyone out.
/// </summary>
internal static class EndSessionEndpoint
{
    public const string Path = "/connect/endsession";

    public static void MapEndSessionEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Confirm).ExcludeFromDescription();
        app.MapPost(Path, SignOutAsync).ExcludeFromDescription().DisableAntiforgery();
    }

    private static IResult Confirm(HttpContext context, IAntiforgery antiforgery)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        var body = HtmlPage.Paragraph("Sign out of Blog on this browser?")
            + $"<form method=\"post\" action=\"{Path}\">"
            + HtmlPage.AntiforgeryField(context, antiforgery)
            + string.Concat(context.Request.Query.SelectMany(field => field.Value.Select(value => HtmlPage.HiddenField(field.Key, value))))
            + "<button type=\"submit\">Sign out</button></form>\n";
        return HtmlPage.Render(context, "Sign out", body, [LoopbackRedirect.CspSource(request.PostLogoutRedirectUri)]);
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return HtmlPage.Render(context, "The form expired", HtmlPage.Paragraph("Go back and sign out again."),
                statusCode: StatusCodes.Status400BadRequest);
        }

        await context.SignOutAsync(SignInCookie.Scheme);
        // OpenIddict redirects to post_logout_redirect_uri when the client registered it; otherwise here.
        return Results.SignOut(new AuthenticationProperties { RedirectUri = SignInPage.SignedOutPath },
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }
}
