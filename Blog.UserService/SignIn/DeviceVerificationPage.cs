using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.RateLimiting;
using Blog.UserService.Authorization;
using Blog.UserService.Users;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.SignIn;

/// <summary>
/// <c>/connect/verify</c>, the device flow's verification page (RFC 8628 section 3.3): a signed-in person enters the code
/// a device shows (verification_uri_complete brings it along), sees which client asks for what, and allows or denies;
/// the device, polling the token endpoint, then gets its tokens or access_denied. Wrong codes count against the person
/// and their address like wrong passwords (<see cref="LoginThrottle"/>), so codes cannot be guessed (section 5.1).
/// </summary>
internal static class DeviceVerificationPage
{
    public const string Path = "/connect/verify";

    public const string WrongCode = "That code is not valid or has expired. Check the code your device shows.";

    public const string TooManyWrongCodes = "Too many wrong codes from this address; retry later.";

    private const string DecisionField = "consent";

    public static void MapDeviceVerificationPage(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], VerifyAsync).ExcludeFromDescription().DisableAntiforgery();
        app.MapGet(Path + "/done", (HttpContext context) => HtmlPage.Render(context, "Device connected",
            HtmlPage.Paragraph("You allowed the device. You can close this page and return to it."))).ExcludeFromDescription();
        app.MapGet(Path + "/denied", (HttpContext context) => HtmlPage.Render(context, "Device refused",
            HtmlPage.Paragraph("The device was not given access. You can close this page."))).ExcludeFromDescription();
    }

    private static async Task<IResult> VerifyAsync(
        HttpContext context,
        UserManager<BlogUser> users,
        PasswordCheck passwords,
        LoginThrottle throttle,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        IOpenIddictScopeManager scopes,
        IAntiforgery antiforgery,
        IOptions<AuthorizationServerOptions> serverOptions,
        TimeProvider time)
    {
        var person = await SignInCookie.GetSignedInAsync(context, users, passwords);
        if (person is null)
        {
            return Results.Redirect($"{SignInPage.Path}?returnUrl={Uri.EscapeDataString(Path + context.Request.QueryString)}");
        }

        var isPost = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType;
        if (isPost && !await antiforgery.IsRequestValidAsync(context))
        {
            return HtmlPage.Render(context, "The form expired", HtmlPage.Paragraph("Enter the code again."), statusCode: StatusCodes.Status400BadRequest);
        }

        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        if (string.IsNullOrEmpty(request.UserCode))
        {
            return ShowCodeForm(context, antiforgery, error: null);
        }

        // Guessing is throttled per person and address; the code is looked up only while the source may try.
        var account = "user-code:" + person.User.Id;
        var source = ClientAddresses.PartitionOf(context);
        if (await throttle.GetWaitAsync(account, source) is { } wait)
        {
            context.Response.SetRetryAfter(wait);
            return ShowCodeForm(context, antiforgery, TooManyWrongCodes, StatusCodes.Status429TooManyRequests);
        }

        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal.GetClaim(Claims.ClientId) is not { } clientId
            || await applications.FindByClientIdAsync(clientId) is not { } application)
        {
            await throttle.RecordFailureAsync(account, source);
            return ShowCodeForm(context, antiforgery, WrongCode, StatusCodes.Status400BadRequest);
        }

        await throttle.ResetAsync(account, source);
        var requestedScopes = result.Principal.GetScopes();
        var decision = isPost ? context.Request.Form[DecisionField].ToString() : "";
        if (decision == "deny")
        {
            // OpenIddict marks the device code rejected: the device's next poll gets access_denied.
            return Results.Forbid(new AuthenticationProperties { RedirectUri = Path + "/denied" },
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        if (decision == "allow")
        {
            var authorizationId = await AuthorizationEndpoint.GiveConsentAsync(authorizations, (await applications.GetIdAsync(application))!,
                person.User.Id, requestedScopes, time);
            var login = TokenEndpoint.LoginTime.Of(person.SignedInAt, time.GetUtcNow(), serverOptions.Value);
            return await TokenEndpoint.SignInUserAsync(person.User, requestedScopes, requestedScopes, login, users, scopes, authorizationId,
                new AuthenticationProperties { RedirectUri = Path + "/done" });
        }

        var clientName = await applications.GetLocalizedDisplayNameAsync(application) ?? clientId;
        var body = $"<p>Signed in as <strong>{HtmlPage.Encode(person.User.UserName)}</strong>.</p>\n"
            + $"<p>Check that your device shows <code class=\"user-code\">{HtmlPage.Encode(request.UserCode)}</code>.</p>\n"
            + $"<p><strong>{HtmlPage.Encode(clientName)}</strong> on that device asks to:</p>\n"
            + AuthorizationEndpoint.ScopeList(requestedScopes)
            + $"<form method=\"post\" action=\"{Path}\">"
            + HtmlPage.AntiforgeryField(context, antiforgery)
            + HtmlPage.HiddenField(Parameters.UserCode, request.UserCode)
            + $"<button type=\"submit\" name=\"{DecisionField}\" value=\"allow\">Allow</button>"
            + $"<button type=\"submit\" name=\"{DecisionField}\" value=\"deny\" class=\"secondary\">Deny</button>"
            + "</form>\n<p>Only allow a device you are holding. You can revoke this access later from your account.</p>\n";
        return HtmlPage.Render(context, $"Allow {clientName}?", body);
    }

    private static IResult ShowCodeForm(HttpContext context, IAntiforgery antiforgery, string? error, int statusCode = StatusCodes.Status200OK)
    {
        var body = (error is null ? "" : HtmlPage.Paragraph(error, "error"))
            + HtmlPage.Paragraph("Enter the code your device shows.")
            + $"<form method=\"post\" action=\"{Path}\">"
            + HtmlPage.AntiforgeryField(context, antiforgery)
            + "<label for=\"user_code\">Code</label>"
            + "<input id=\"user_code\" name=\"user_code\" type=\"text\" autocomplete=\"off\" autocapitalize=\"characters\" required>"
            + "<button type=\"submit\">Continue</button></form>\n";
        return HtmlPage.Render(context, "Connect a device", body, statusCode: statusCode);
    }
}
