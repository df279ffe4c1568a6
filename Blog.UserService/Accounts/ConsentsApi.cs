using System.Security.Claims;
using Blog.ServiceDefaults.Http;
using Blog.UserService.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Accounts;

/// <summary>A consent the caller gave a client on the consent page: which client, for which scopes, since when.</summary>
public sealed record ConsentResponse(string Id, string ClientId, string ClientName, IReadOnlyList<string> Scopes, DateTimeOffset? GivenAt);

/// <summary>
/// <c>/api/account/consents</c>: the clients a person allowed (OpenIddict permanent authorizations) and their revocation.
/// Revoking a consent ends every login of that client under it (tokens revoked, caches told) and the client has to ask
/// again.
/// </summary>
public static class ConsentsApi
{
    public static RouteGroupBuilder MapConsentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/account/consents").WithTags("Account").WithNoStore()
            .RequireAuthorization(AuthorizationServerExtensions.UserPolicy);

        api.MapGet("", ListAsync)
            .WithName("ListConsents")
            .WithSummary("The clients the caller allowed on the consent page, and for which scopes");
        api.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeConsent")
            .WithSummary("Revoke a consent: the client's tokens under it stop working and it must ask again");

        return api;
    }

    private static async Task<Ok<List<ConsentResponse>>> ListAsync(
        ClaimsPrincipal principal, IOpenIddictAuthorizationManager authorizations, IOpenIddictApplicationManager applications,
        CancellationToken cancellationToken)
    {
        var consents = new List<ConsentResponse>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(principal.GetClaim(Claims.Subject)!, cancellationToken))
        {
            if (!await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, cancellationToken)
                || !await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                || await authorizations.GetApplicationIdAsync(authorization, cancellationToken) is not { } applicationId
                || await applications.FindByIdAsync(applicationId, cancellationToken) is not { } application)
            {
                continue;
            }

            consents.Add(new ConsentResponse(
                (await authorizations.GetIdAsync(authorization, cancellationToken))!,
                (await applications.GetClientIdAsync(application, cancellationToken))!,
                await applications.GetDisplayNameAsync(application, cancellationToken) ?? "",
                [.. await authorizations.GetScopesAsync(authorization, cancellationToken)],
                await authorizations.GetCreationDateAsync(authorization, cancellationToken)));
        }

        return TypedResults.Ok(consents);
    }

    private static async Task<Results<NoContent, NotFound>> RevokeAsync(
        string id, ClaimsPrincipal principal, IOpenIddictAuthorizationManager authorizations, TokenRevocation revocation,
        CancellationToken cancellationToken)
    {
        // Another person's consent is as unknown as a missing one.
        if (await authorizations.FindByIdAsync(id, cancellationToken) is not { } authorization
            || await authorizations.GetSubjectAsync(authorization, cancellationToken) != principal.GetClaim(Claims.Subject)
            || !await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        await revocation.RevokeAuthorizationAsync(id, "its consent was revoked", cancellationToken);
        return TypedResults.NoContent();
    }
}
