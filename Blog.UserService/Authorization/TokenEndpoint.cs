using System.Collections.Immutable;
using System.Globalization;
using System.Security.Claims;
using Blog.ServiceDefaults.Http;
using Blog.ServiceDefaults.RateLimiting;
using Blog.UserService.Users;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

/// <summary>
/// <c>POST /connect/token</c>. OpenIddict has already authenticated the client and validated the request; this
/// decides who the token is for and what it carries.
/// </summary>
public static partial class TokenEndpoint
{
    /// <summary>One message for an unknown user, a wrong password and a locked account: no user enumeration.</summary>
    public const string InvalidCredentials = "The user name or password is invalid.";

    public const string LoginEnded = "The login has reached its maximum lifetime: sign in again.";

    /// <summary>A source over its failures for a user name, whether or not the account exists.</summary>
    public const string TooManyFailures = "Too many failed sign-in attempts for this user name from this address; retry later.";

    public static IEndpointConventionBuilder MapTokenEndpoint(this IEndpointRouteBuilder app)
        => app.MapPost("/connect/token", ExchangeAsync)
            .RequireClientRateLimit<RouteHandlerBuilder, TokenEndpointRateLimitOptions>("token")
            .ExcludeFromDescription();

    private static async Task<IResult> ExchangeAsync(
        HttpContext context,
        UserManager<BlogUser> users,
        PasswordCheck passwords,
        IOpenIddictScopeManager scopes,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        IOptions<AuthorizationServerOptions> serverOptions,
        TimeProvider timeProvider)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");

        if (request.IsPasswordGrantType())
        {
            var now = timeProvider.GetUtcNow();
            return await PasswordGrantAsync(context, request.Username ?? "", request.Password ?? "", request.GetScopes(), LoginTime.Of(now, now, serverOptions.Value),
                passwords, users, scopes);
        }

        // A refresh token, an authorization code or an approved device code: OpenIddict has validated it (PKCE's
        // verifier and the redirect URI of a code included) and restored the login's authorization.
        if (request.IsRefreshTokenGrantType() || request.IsAuthorizationCodeGrantType() || request.IsDeviceCodeGrantType())
        {
            var authenticated = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var userId = authenticated.Principal?.GetClaim(Claims.Subject);
            var user = userId is null ? null : await users.FindByIdAsync(userId);
            // The user may have been deleted, locked or demoted since: check again and reload the roles.
            if (user is null || !await passwords.CanSignInAsync(user))
            {
                return InvalidGrant("The grant is no longer valid.");
            }

            // A login ends at its absolute lifetime however often it was refreshed (RFC 9700 section 4.14.2).
            var now = timeProvider.GetUtcNow();
            var loggedInAt = await GetLoginTimeAsync(authenticated.Principal!, authorizations);
            if (LoginLifetime.HasEnded(loggedInAt, now, serverOptions.Value))
            {
                return InvalidGrant(LoginEnded);
            }

            // The refresh token keeps every scope granted at login. A scope parameter asks for an access token for a
            // subset (RFC 6749 section 6; OpenIddict refuses scopes never granted and narrows the access token's
            // scopes): its audiences must narrow with them, or a posts-only token would still open the user service.
            var granted = authenticated.Principal!.GetScopes();
            var forAccessToken = string.IsNullOrEmpty(request.Scope) ? granted : [.. granted.Intersect(request.GetScopes(), StringComparer.Ordinal)];
            return await SignInUserAsync(user, granted, forAccessToken, LoginTime.Of(loggedInAt, now, serverOptions.Value), users, scopes);
        }

        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!)
                ?? throw new InvalidOperationException("The client application cannot be found.");
            var identity = NewIdentity();
            identity.SetClaim(Claims.Subject, await applications.GetClientIdAsync(application));
            identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application));
            return await SignInAsync(identity, request.GetScopes(), request.GetScopes(), scopes);
        }

        return Results.Forbid(
            authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme],
            properties: ErrorProperties(Errors.UnsupportedGrantType, "The grant type is not supported."));
    }

    /// <summary>The password check shared with the sign-in page (<see cref="PasswordCheck"/>), then the user's tokens.</summary>
    private static async Task<IResult> PasswordGrantAsync(
        HttpContext context, string userName, string password, ImmutableArray<string> requestedScopes, LoginTime login,
        PasswordCheck passwords, UserManager<BlogUser> users, IOpenIddictScopeManager scopes)
    {
        var result = await passwords.CheckAsync(context, userName, password);
        if (result.RetryAfter is { } retryAfter)
        {
            context.Response.SetRetryAfter(retryAfter);
            return InvalidGrant(TooManyFailures);
        }

        return result.User is { } user
            ? await SignInUserAsync(user, requestedScopes, requestedScopes, login, users, scopes)
            : InvalidGrant(InvalidCredentials);
    }

    /// <summary>The user's tokens (or, at the authorization endpoint, code): claims, scopes, audiences, destinations.</summary>
    /// <param name="authorizationId">The remembered consent the tokens belong to, when the person gave one.</param>
    internal static async Task<IResult> SignInUserAsync(
        BlogUser user, ImmutableArray<string> grantedScopes, ImmutableArray<string> accessTokenScopes, LoginTime login,
        UserManager<BlogUser> users, IOpenIddictScopeManager scopes, string? authorizationId = null, AuthenticationProperties? properties = null)
    {
        var identity = NewIdentity();
        if (authorizationId is not null)
        {
            identity.SetAuthorizationId(authorizationId);
        }

        // OpenID Connect's claims: name is the display name, preferred_username the login name.
        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(Claims.Name, user.DisplayName)
            .SetClaim(Claims.PreferredUsername, user.UserName)
            .SetClaim(Claims.Email, user.Email)
            .SetClaims(Claims.Role, [.. await users.GetRolesAsync(user)]);
        // The time of the login travels in the refresh token (every claim does) from one refresh to the next.
        identity.AddClaim(new Claim(Claims.AuthenticationTime,
            login.LoggedInAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        identity.SetRefreshTokenLifetime(login.RefreshTokenLifetime);
        return await SignInAsync(identity, grantedScopes, accessTokenScopes, scopes, properties);
    }

    /// <summary>
    /// When the login a refresh token belongs to was made: its auth_time claim, or, for a refresh token issued before
    /// logins carried one, the creation of its authorization (OpenIddict creates one per login).
    /// </summary>
    private static async Task<DateTimeOffset> GetLoginTimeAsync(ClaimsPrincipal refreshToken, IOpenIddictAuthorizationManager authorizations)
    {
        if (long.TryParse(refreshToken.GetClaim(Claims.AuthenticationTime), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        var authorization = refreshToken.GetAuthorizationId() is { Length: > 0 } id ? await authorizations.FindByIdAsync(id) : null;
        return (authorization is null ? null : await authorizations.GetCreationDateAsync(authorization))
            ?? refreshToken.GetCreationDate()
            ?? DateTimeOffset.MinValue;
    }

    /// <summary>A login's time, and the lifetime of the refresh token issued for it now.</summary>
    internal readonly record struct LoginTime(DateTimeOffset LoggedInAt, TimeSpan RefreshTokenLifetime)
    {
        public static LoginTime Of(DateTimeOffset loggedInAt, DateTimeOffset now, AuthorizationServerOptions options)
            => new(loggedInAt, LoginLifetime.RefreshTokenLifetime(loggedInAt, now, options));
    }

    /// <param name="grantedScopes">The grant's scopes, which a refresh token keeps.</param>
    /// <param name="accessTokenScopes">The access token's scopes: the granted ones, or the subset a refresh asked for.</param>
    private static async Task<IResult> SignInAsync(
        ClaimsIdentity identity, ImmutableArray<string> grantedScopes, ImmutableArray<string> accessTokenScopes, IOpenIddictScopeManager scopes,
        AuthenticationProperties? properties = null)
    {
        // OpenIddict has checked the client's scope permissions; the resources (audiences) follow from the access
        // token's scopes: one token per resource when the client asks for one resource's scope.
        identity.SetScopes(grantedScopes);
        var resources = new List<string>();
        await foreach (var resource in scopes.ListResourcesAsync(accessTokenScopes))
        {
            resources.Add(resource);
        }

        identity.SetResources(resources);
        identity.SetDestinations(claim => GetDestinations(claim, identity));
        return Results.SignIn(new ClaimsPrincipal(identity), properties, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static ClaimsIdentity NewIdentity()
        => new(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

    /// <summary>
    /// Name (the display name) and roles travel in the access token, so introspection returns them to the post service.
    /// The login name goes to the client in the identity token only: no resource server needs it, and whatever it
    /// receives it may show.
    /// </summary>
    private static IEnumerable<string> GetDestinations(Claim claim, ClaimsIdentity identity) => claim.Type switch
    {
        Claims.Name => identity.HasScope(Scopes.Profile) ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken],
        Claims.PreferredUsername => identity.HasScope(Scopes.Profile) ? [Destinations.IdentityToken] : [],
        Claims.Role => identity.HasScope(Scopes.Roles) ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken],
        Claims.Email => identity.HasScope(Scopes.Email) ? [Destinations.AccessToken, Destinations.IdentityToken] : [],
        // The login time is the refresh token's business (and the identity token's, as OpenID Connect defines it).
        Claims.AuthenticationTime => [Destinations.IdentityToken],
        // The security stamp Identity adds is internal to the user service.
        "AspNet.Identity.SecurityStamp" => [],
        _ => [Destinations.AccessToken],
    };

    private static IResult InvalidGrant(string description)
        => Results.Forbid(
            authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme],
            properties: ErrorProperties(Errors.InvalidGrant, description));

    private static AuthenticationProperties ErrorProperties(string error, string description) => new(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    });

}
