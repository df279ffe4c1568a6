using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Primitives;
using static OpenIddict.Abstractions.OpenIddictConstants;
using ErrorProperties = OpenIddict.Validation.AspNetCore.OpenIddictValidationAspNetCoreConstants.Properties;

namespace Blog.PostService.Authentication;

/// <summary>
/// The bearer token as the front handler reads it, and its refusals in OpenIddict's vocabulary: the error, its
/// description and URI travel in the authentication properties, where OpenIddict's challenge reads them.
/// </summary>
internal static class BearerRequest
{
    private const string BearerPrefix = "Bearer ";

    private static readonly string[] ErrorKeys = [ErrorProperties.Error, ErrorProperties.ErrorDescription, ErrorProperties.ErrorUri];

    /// <summary>The token of a single "Bearer" Authorization header; any other shape is OpenIddict's to judge.</summary>
    public static bool TryReadToken(StringValues authorization, out string token)
    {
        token = "";
        if (authorization.Count != 1 || authorization.ToString() is not { } header
            || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        token = header[BearerPrefix.Length..].Trim();
        return token.Length > 0;
    }

    public static AuthenticateResult Failure(string error, string? description, string? uri = null)
    {
        var properties = new AuthenticationProperties();
        properties.SetString(ErrorProperties.Error, error);
        properties.SetString(ErrorProperties.ErrorDescription, description);
        properties.SetString(ErrorProperties.ErrorUri, uri);
        return AuthenticateResult.Fail("The access token was rejected.", properties);
    }

    public static string? Error(AuthenticationProperties? properties) => properties?.GetString(ErrorProperties.Error);

    public static string? ErrorDescription(AuthenticationProperties? properties) => properties?.GetString(ErrorProperties.ErrorDescription);

    public static string? ErrorUri(AuthenticationProperties? properties) => properties?.GetString(ErrorProperties.ErrorUri);

    /// <summary>Hands the error this request's authentication saw to OpenIddict's challenge.</summary>
    public static void CarryErrorInto(AuthenticationProperties challenge, AuthenticateResult result)
    {
        if (result.Failure is not null && result.Properties is { } failure)
        {
            foreach (var key in ErrorKeys)
            {
                if (failure.GetString(key) is { } value)
                {
                    challenge.Items.TryAdd(key, value);
                }
            }
        }
        else if (!result.Succeeded)
        {
            // OpenIddict never saw this request (no token): say so, or it would answer insufficient_access (403).
            challenge.Items.TryAdd(ErrorProperties.Error, Errors.MissingToken);
        }
    }
}
