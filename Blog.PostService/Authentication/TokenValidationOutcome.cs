using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Authentication;

namespace Blog.PostService.Authentication;

public enum TokenValidationOutcomeKind
{
    Authenticated,
    NoToken,
    Rejected,
    Abandoned,
}

/// <summary>What one validation found, in a form concurrent requests for the same token can share.</summary>
public sealed record TokenValidationOutcome(
    TokenValidationOutcomeKind Kind,
    AuthenticateResult? LeaderResult,
    CachedIntrospection? Entry = null,
    string? Error = null,
    string? ErrorDescription = null,
    string? ErrorUri = null,
    ExceptionDispatchInfo? LeaderException = null)
{
    /// <summary>What the request that did the validation answers: its own result, or its exception rethrown.</summary>
    public AuthenticateResult LeaderOutcome()
    {
        LeaderException?.Throw();
        return LeaderResult!;
    }

    public static TokenValidationOutcome Authenticated(AuthenticateResult result, CachedIntrospection entry) => new(TokenValidationOutcomeKind.Authenticated, result, entry);

    public static TokenValidationOutcome NoToken(AuthenticateResult result) => new(TokenValidationOutcomeKind.NoToken, result);

    /// <summary>A refusal, with OpenIddict's error, description and URI read from its properties.</summary>
    public static TokenValidationOutcome Rejected(AuthenticateResult result, AuthenticationProperties? properties)
        => new(TokenValidationOutcomeKind.Rejected, result, Error: BearerRequest.Error(properties),
            ErrorDescription: BearerRequest.ErrorDescription(properties), ErrorUri: BearerRequest.ErrorUri(properties));

    public static TokenValidationOutcome Abandoned(AuthenticateResult result) => new(TokenValidationOutcomeKind.Abandoned, result);

    public static TokenValidationOutcome Abandoned(ExceptionDispatchInfo exception) => new(TokenValidationOutcomeKind.Abandoned, null, LeaderException: exception);
}
