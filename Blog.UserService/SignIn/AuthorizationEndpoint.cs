using System.Collections.Immutable;
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
/// <c>/connect/authorize</c> (authorization code with PKCE). OpenIddict has validated the request (client, exact
/// redirect URI, S256 code challenge, scope permissions); this signs the person in if needed, asks their consent unless
/// they already gave it to this client for these scopes, and issues the code. Consent is remembered as an OpenIddict
/// permanent authorization, which the account API lists and revokes.
/// </summary>
internal static class AuthorizationEndpoint
{
    public const string Path = "/connect/authorize";

    private const string DecisionField = "consent";

    public static void MapAuthorizationEndpoint(this IEndpointRouteBuilder app)
        => app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync).ExcludeFromDescription().DisableAntiforgery();

    private static async Task<IResult> AuthorizeAsync(
        HttpContext context,
        UserManager<BlogUser> users,
        PasswordCheck passwords,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        IOpenIddictScopeManager scopes,
        IAntiforgery antiforgery,
        IOptions<AuthorizationServerOptions> serverOptions,
        TimeProvider time)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");

        var person = await SignInCookie.GetSignedInAsync(context, users, passwords);
        if (person is null || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The user is not signed in.");
            }

            // Back here after signing in, without prompt=login (or the person would be asked forever).
            var parameters = RequestParameters(context).Where(parameter => parameter.Key != Parameters.Prompt || !request.HasPromptValue(PromptValues.Login));
            await context.SignOutAsync(SignInCookie.Scheme);
            return Results.Redirect($"{SignInPage.Path}?returnUrl={Uri.EscapeDataString(Path + QueryString.Create(parameters))}");
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!)
            ?? throw new InvalidOperationException("The client application cannot be found.");
        var applicationId = await applications.GetIdAsync(application);
        var requestedScopes = request.GetScopes();
        var remembered = await FindConsentAsync(authorizations, person.User.Id, applicationId!, requestedScopes);

        var decision = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? context.Request.Form[DecisionField].ToString()
            : "";
        if (decision.Length > 0 && !await antiforgery.IsRequestValidAsync(context))
        {
            return HtmlPage.Render(context, "The form expired", HtmlPage.Paragraph("Go back to the application and sign in again."),
                statusCode: StatusCodes.Status400BadRequest);
        }

        if (decision == "deny")
        {
            return Refuse(Errors.AccessDenied, "The user denied the client access.");
        }

        string? authorizationId;
        if (decision == "allow")
        {
            authorizationId = await GiveConsentAsync(authorizations, applicationId!, person.User.Id, requestedScopes, time);
        }
        else if (remembered is not null && !request.HasPromptValue(PromptValues.Consent))
        {
            authorizationId = remembered;
        }
        else if (request.HasPromptValue(PromptValues.None))
        {
            return Refuse(Errors.ConsentRequired, "The user has not given this client consent for these scopes.");
        }
        else
        {
            return ShowConsent(context, antiforgery, person, await applications.GetLocalizedDisplayNameAsync(application) ?? request.ClientId!,
                requestedScopes, request.RedirectUri);
        }

        var login = TokenEndpoint.LoginTime.Of(person.SignedInAt, time.GetUtcNow(), serverOptions.Value);
        return await TokenEndpoint.SignInUserAsync(person.User, requestedScopes, requestedScopes, login, users, scopes, authorizationId);
    }

    /// <summary>A valid consent (permanent authorization) of the person to the client that covers every requested scope.</summary>
    private static async Task<string?> FindConsentAsync(
        IOpenIddictAuthorizationManager authorizations, string subject, string applicationId, ImmutableArray<string> requestedScopes)
    {
        await foreach (var authorization in authorizations.FindAsync(subject, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, requestedScopes))
        {
            return await authorizations.GetIdAsync(authorization);
        }

        return null;
    }

    private static IResult ShowConsent(HttpContext context, IAntiforgery antiforgery, SignedInPerson person, string clientName,
        ImmutableArray<string> requestedScopes, string? redirectUri)
    {
        var body = $"<p>Signed in as <strong>{HtmlPage.Encode(person.User.UserName)}</strong>.</p>\n"
            + $"<p><strong>{HtmlPage.Encode(clientName)}</strong> asks to:</p>\n"
            + ScopeList(requestedScopes)
            + $"<form method=\"post\" action=\"{Path}\">"
            + HtmlPage.AntiforgeryField(context, antiforgery)
            // The authorization request travels with the decision; OpenIddict validates it again on the way back.
            + string.Concat(RequestParameters(context).Select(parameter => HtmlPage.HiddenField(parameter.Key, parameter.Value)))
            + $"<button type=\"submit\" name=\"{DecisionField}\" value=\"allow\">Allow</button>"
            + $"<button type=\"submit\" name=\"{DecisionField}\" value=\"deny\" class=\"secondary\">Deny</button>"
            + "</form>\n<p>You can revoke this access later from your account.</p>\n";
        return HtmlPage.Render(context, $"Allow {clientName}?", body, [LoopbackRedirect.CspSource(redirectUri)]);
    }

    /// <summary>The authorization request's own parameters (query or form), without this page's fields.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> RequestParameters(HttpContext context)
    {
        var source = HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType
            ? context.Request.Form.Select(field => (field.Key, field.Value))
            : context.Request.Query.Select(field => (field.Key, field.Value));
        var antiforgeryField = context.RequestServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.FormFieldName;
        return source
            .Where(field => field.Key != DecisionField && field.Key != antiforgeryField)
            .SelectMany(field => field.Value.Select(value => new KeyValuePair<string, string?>(field.Key, value)));
    }

    /// <summary>Remembers the person's consent to the client for these scopes (a permanent authorization): its id.</summary>
    public static async Task<string?> GiveConsentAsync(IOpenIddictAuthorizationManager authorizations, string applicationId,
        string userId, IEnumerable<string> scopes, TimeProvider time)
    {
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            CreationDate = time.GetUtcNow(),
            Status = Statuses.Valid,
            Subject = userId,
            Type = AuthorizationTypes.Permanent,
        };
        descriptor.Scopes.UnionWith(scopes);
        return await authorizations.GetIdAsync(await authorizations.CreateAsync(descriptor));
    }

    /// <summary>The consent page's list: what each requested scope lets the client do.</summary>
    public static string ScopeList(IEnumerable<string> scopes)
        => "<ul class=\"scopes\">"
            + string.Concat(scopes.Select(scope => $"<li data-scope=\"{HtmlPage.Encode(scope)}\">{HtmlPage.Encode(ScopeDescriptions.Describe(scope))}</li>"))
            + "</ul>\n";

    public static IResult Refuse(string error, string description)
        => Results.Forbid(
            authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme],
            properties: new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }));
}
