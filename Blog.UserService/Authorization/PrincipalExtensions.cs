using System.Security.Claims;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.UserService.Authorization;

public static class PrincipalExtensions
{
    /// <summary>
    /// True for a token issued to a person; false for a client-credentials token, whose subject is the client itself.
    /// </summary>
    public static bool IsPerson(this ClaimsPrincipal principal)
        => principal.GetClaim(Claims.Subject) is { } subject && !principal.GetPresenters().Contains(subject, StringComparer.Ordinal);
}
