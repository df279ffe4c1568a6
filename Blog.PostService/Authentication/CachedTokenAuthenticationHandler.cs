using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Blog.ServiceDefaults.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Blog.PostService.Authentication;

/// <summary>
/// The default authentication scheme: a thin front of OpenIddict's validation scheme that answers a known token
/// without running OpenIddict's per-request pipeline. It looks the bearer token up in the token cache
/// (<see cref="IntrospectionCache"/>: in process, then in Redis); a usable entry (before its end and the token's exp,
/// not revoked) was stored only after OpenIddict accepted the token, so a hit is as safe as the slow path. On a miss
/// it delegates to OpenIddict's scheme (whose own handlers read the cache, introspect and store), one delegation per
/// token at a time in this instance: concurrent requests with the same uncached token wait for the first one's
/// outcome instead of introspecting again. Challenges and forbids go to
/// OpenIddict's scheme, carrying the error this handler saw, so responses are OpenIddict's (and 503 when the user
/// service is unreachable).
/// </summary>
public sealed class CachedTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IntrospectionCache cache,
    SingleFlight<TokenValidationOutcome> flights,
    IntrospectionTelemetry telemetry,
    IOptions<TokenValidationOptions> validationOptions,
    UnknownTokenGuard unknownTokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Blog.CachedBearer";
    private const string RetryAfterProperty = "blog.retry_after";

    private static string ValidationScheme => OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            // Anonymous request: nothing to validate, and no OpenIddict pipeline to pay for.
            return AuthenticateResult.NoResult();
        }

        if (!BearerRequest.TryReadToken(authorization, out var token))
        {
            // Unusual shapes are left entirely to OpenIddict (uncached), which decides what they mean.
            return await AuthenticateUncachedAsync();
        }

        // Not shaped like the issuer's tokens: refused here, no introspection spent on it.
        if (!UnknownTokenGuard.HasIssuerTokenShape(token))
        {
            return BearerRequest.Failure(Errors.InvalidToken, "The specified token is invalid.");
        }

        // A Redis hit is answered here as well, not after OpenIddict's per-request pipeline (which cost more than the
        // Redis call): the entry was stored only after OpenIddict accepted the token, and the lookup checks its end,
        // the token's exp and revocations, exactly as the pipeline's LookupCachedIntrospection would, after which no
        // other check runs on a hit. Only a miss goes on to OpenIddict (whose lookup reads Redis once more, in case
        // another request stored it meanwhile) and to introspection.
        var lookup = await cache.LookupAsync(token, includeRejected: true, Context.RequestAborted);
        return lookup.Result switch
        {
            TokenLookupResult.Found => Success(lookup.Entry!.ToPrincipal()),
            TokenLookupResult.Rejected => BearerRequest.Failure(Errors.InvalidToken, "The specified token is invalid."),
            // With the cache switched off, every token is validated by OpenIddict alone, uncoalesced.
            TokenLookupResult.CacheOff => await AuthenticateUncachedAsync(),
            _ => await ValidateOncePerTokenAsync(lookup.Hash),
        };
    }

    private async Task<AuthenticateResult> AuthenticateUncachedAsync() => Rescheme(await Context.AuthenticateAsync(ValidationScheme));

    /// <summary>
    /// OpenIddict's validation, one per token at a time in this instance: a request that finds the same token
    /// already being validated waits for that outcome, and tries for itself only if that request went away.
    /// </summary>
    private async Task<AuthenticateResult> ValidateOncePerTokenAsync(TokenHash hash)
    {
        // A client that sent too many rejected tokens lately gets no introspection for a new one until its window ends.
        if (await unknownTokens.GetWaitAsync(Context) is { } retryAfter)
        {
            var throttled = BearerRequest.Failure(Errors.InvalidToken, "Too many rejected tokens from this address.");
            throttled.Properties!.SetString(RetryAfterProperty, retryAfter.ToString("c", CultureInfo.InvariantCulture));
            return throttled;
        }

        // A joiner waits no longer than its own introspection could have taken.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Context.RequestAborted);
        wait.CancelAfter(validationOptions.Value.IntrospectionTotalTimeout + TimeSpan.FromSeconds(1));
        TokenValidationOutcome outcome;
        bool joined;
        try
        {
            (outcome, joined) = await flights.RunAsync(hash.Hex, () => ValidateThroughOpenIddictAsync(hash), wait.Token);
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested && !Context.RequestAborted.IsCancellationRequested)
        {
            return BearerRequest.Failure(Errors.ServerError, "The token could not be validated in time.");
        }

        if (!joined)
        {
            return outcome.LeaderOutcome();
        }

        telemetry.Coalesced();
        if (outcome.Kind == TokenValidationOutcomeKind.Abandoned)
        {
            // The request that was validating went away (or failed unexpectedly): this one tries for itself.
            return (await ValidateThroughOpenIddictAsync(hash)).LeaderOutcome();
        }

        return outcome.Kind switch
        {
            TokenValidationOutcomeKind.Authenticated => Success(outcome.Entry!.ToPrincipal()),
            TokenValidationOutcomeKind.NoToken => AuthenticateResult.NoResult(),
            _ => BearerRequest.Failure(outcome.Error ?? Errors.InvalidToken, outcome.ErrorDescription, outcome.ErrorUri),
        };
    }

    /// <summary>OpenIddict's full validation for this request; its outcome is shared with concurrent joiners.</summary>
    private async Task<TokenValidationOutcome> ValidateThroughOpenIddictAsync(TokenHash hash)
    {
        AuthenticateResult result;
        try
        {
            result = await Context.AuthenticateAsync(ValidationScheme);
        }
        catch (Exception exception)
        {
            return TokenValidationOutcome.Abandoned(ExceptionDispatchInfo.Capture(exception));
        }

        var ours = Rescheme(result);
        if (Context.RequestAborted.IsCancellationRequested)
        {
            return TokenValidationOutcome.Abandoned(ours);
        }

        if (result.Succeeded)
        {
            // Joiners rebuild their own principal from this entry, made as the cache makes its entries.
            return TokenValidationOutcome.Authenticated(ours, cache.EntryFor(result.Principal));
        }

        if (result.None)
        {
            return TokenValidationOutcome.NoToken(ours);
        }

        if (BearerRequest.Error(result.Properties) == Errors.InvalidToken)
        {
            // Only a verdict about the token itself is remembered, and only in process, briefly.
            cache.RememberInvalid(hash);
            await unknownTokens.CountRejectedAsync(Context);
        }

        return TokenValidationOutcome.Rejected(ours, result.Properties);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Properties?.GetString(RetryAfterProperty) is { } retryAfter)
        {
            await Context.WriteRetryLaterAsync(StatusCodes.Status429TooManyRequests,
                TimeSpan.ParseExact(retryAfter, "c", CultureInfo.InvariantCulture), "Too many rejected tokens",
                "Too many invalid tokens from this address: new tokens are checked again after the time given in Retry-After.");
            return;
        }

        BearerRequest.CarryErrorInto(properties, await HandleAuthenticateOnceSafeAsync());
        await Context.ChallengeAsync(ValidationScheme, properties);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => Context.ForbidAsync(ValidationScheme, properties);

    private AuthenticateResult Success(ClaimsPrincipal principal)
        => AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    /// <summary>OpenIddict's result under this scheme's name, so the ticket matches the scheme that produced it.</summary>
    private AuthenticateResult Rescheme(AuthenticateResult result)
        => result.Succeeded
            ? AuthenticateResult.Success(new AuthenticationTicket(result.Principal, result.Properties, Scheme.Name))
            : result;
}
