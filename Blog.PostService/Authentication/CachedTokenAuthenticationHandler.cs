using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Blog.ServiceDefaults.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using ErrorProperties = OpenIddict.Validation.AspNetCore.OpenIddictValidationAspNetCoreConstants.Properties;

namespace Blog.PostService.Authentication;

/// <summary>
/// The default authentication scheme: a thin front of OpenIddict's validation scheme that answers a known token
/// without running OpenIddict's per-request pipeline. It hashes the bearer token and looks the hash up in process,
/// then in Redis; a usable entry (before its end and the token's exp, not revoked) was stored only after OpenIddict
/// accepted the token, so a hit is as safe as the slow path. On a miss it delegates to OpenIddict's scheme (whose own
/// handlers read Redis, introspect and store), one delegation per token at a time in this instance: concurrent requests with the same
/// uncached token wait for the first one's outcome instead of introspecting again. Challenges and forbids go to
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
    private const string BearerPrefix = "Bearer ";
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

        var settings = validationOptions.Value;
        if (authorization.Count > 1 || !TryReadBearerToken(authorization.ToString(), out var token))
        {
            // Unusual header shapes are left entirely to OpenIddict (uncached), which decides what they mean.
            return Rescheme(await Context.AuthenticateAsync(ValidationScheme));
        }

        // Not shaped like the issuer's tokens: refused here, no introspection spent on it.
        if (!UnknownTokenGuard.HasIssuerTokenShape(token))
        {
            return Failure(Errors.InvalidToken, "The specified token is invalid.");
        }

        if (!settings.CacheEnabled)
        {
            // With the cache switched off, every token goes through OpenIddict (uncached).
            return Rescheme(await Context.AuthenticateAsync(ValidationScheme));
        }

        var hash = TokenHash.Compute(token);
        if (settings.MemoryCacheEnabled && cache.TryGetLocal(hash, out var entry))
        {
            return Success(entry.ToPrincipal());
        }

        if (cache.IsKnownInvalid(hash))
        {
            return Failure(Errors.InvalidToken, "The specified token is invalid.");
        }

        // A Redis hit is answered here as well, not after OpenIddict's per-request pipeline (which cost more than the
        // Redis call): the entry was stored only after OpenIddict accepted the token, and this lookup checks its end,
        // the token's exp and revocations, exactly as the pipeline's LookupCachedIntrospection would, after which no
        // other check runs on a hit. Only a miss goes on to OpenIddict (whose lookup reads Redis once more, in case
        // another request stored it meanwhile) and to introspection.
        if (await cache.GetDistributedAsync(hash, Context.RequestAborted) is { } shared)
        {
            return Success(shared.ToPrincipal());
        }

        // A client that sent too many rejected tokens lately gets no introspection for a new one until its window ends.
        if (await unknownTokens.GetWaitAsync(Context) is { } retryAfter)
        {
            var throttled = Failure(Errors.InvalidToken, "Too many rejected tokens from this address.");
            throttled.Properties!.SetString(RetryAfterProperty, retryAfter.ToString("c", CultureInfo.InvariantCulture));
            return throttled;
        }

        // A joiner waits no longer than its own introspection could have taken.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Context.RequestAborted);
        wait.CancelAfter(settings.IntrospectionTotalTimeout + TimeSpan.FromSeconds(1));
        TokenValidationOutcome outcome;
        bool joined;
        try
        {
            (outcome, joined) = await flights.RunAsync(hash.Hex, () => ValidateThroughOpenIddictAsync(hash), wait.Token);
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested && !Context.RequestAborted.IsCancellationRequested)
        {
            return Failure(Errors.ServerError, "The token could not be validated in time.");
        }

        if (!joined)
        {
            outcome.LeaderException?.Throw();
            return outcome.LeaderResult!;
        }

        telemetry.Coalesced();
        if (outcome.Kind == TokenValidationOutcomeKind.Abandoned)
        {
            // The request that was validating went away (or failed unexpectedly): this one tries for itself.
            var ownTry = await ValidateThroughOpenIddictAsync(hash);
            ownTry.LeaderException?.Throw();
            return ownTry.LeaderResult!;
        }

        return outcome.Kind switch
        {
            TokenValidationOutcomeKind.Authenticated => Success(outcome.Entry!.ToPrincipal()),
            TokenValidationOutcomeKind.NoToken => AuthenticateResult.NoResult(),
            _ => Failure(outcome.Error ?? Errors.InvalidToken, outcome.ErrorDescription, outcome.ErrorUri),
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
            var principal = result.Principal;
            var now = cache.Now;
            var expiresAt = principal.GetExpirationDate();
            var shareableFor = IntrospectionCacheLifetime.Compute(now, expiresAt, validationOptions.Value.CacheMaxLifetime) ?? TimeSpan.Zero;
            return TokenValidationOutcome.Authenticated(ours, CachedIntrospection.FromPrincipal(principal, expiresAt, now + shareableFor));
        }

        if (result.None)
        {
            return TokenValidationOutcome.NoToken(ours);
        }

        var error = result.Properties?.GetString(ErrorProperties.Error);
        if (error == Errors.InvalidToken)
        {
            // Only a verdict about the token itself is remembered, and only in process, briefly.
            cache.RememberInvalid(hash);
            await unknownTokens.CountRejectedAsync(Context);
        }

        return TokenValidationOutcome.Rejected(ours, error,
            result.Properties?.GetString(ErrorProperties.ErrorDescription),
            result.Properties?.GetString(ErrorProperties.ErrorUri));
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

        if (result.Failure is not null && result.Properties is { } failure)
        {
            foreach (var key in (string[])[ErrorProperties.Error, ErrorProperties.ErrorDescription, ErrorProperties.ErrorUri])
            {
                if (failure.GetString(key) is { } value)
                {
                    properties.Items.TryAdd(key, value);
                }
            }
        }
        else if (!result.Succeeded)
        {
            // OpenIddict never saw this request (no token): say so, or it would answer insufficient_access (403).
            properties.Items.TryAdd(ErrorProperties.Error, Errors.MissingToken);
        }

        await Context.ChallengeAsync(ValidationScheme, properties);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => Context.ForbidAsync(ValidationScheme, properties);

    private static bool TryReadBearerToken(string header, out string token)
    {
        if (header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            token = header[BearerPrefix.Length..].Trim();
            return token.Length > 0;
        }

        token = "";
        return false;
    }

    private AuthenticateResult Success(ClaimsPrincipal principal)
        => AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    private static AuthenticateResult Failure(string error, string? description, string? uri = null)
    {
        var properties = new AuthenticationProperties();
        properties.SetString(ErrorProperties.Error, error);
        properties.SetString(ErrorProperties.ErrorDescription, description);
        properties.SetString(ErrorProperties.ErrorUri, uri);
        return AuthenticateResult.Fail("The access token was rejected.", properties);
    }

    /// <summary>OpenIddict's result under this scheme's name, so the ticket matches the scheme that produced it.</summary>
    private AuthenticateResult Rescheme(AuthenticateResult result)
        => result.Succeeded
            ? AuthenticateResult.Success(new AuthenticationTicket(result.Principal, result.Properties, Scheme.Name))
            : result;
}

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
    public static TokenValidationOutcome Authenticated(AuthenticateResult result, CachedIntrospection entry) => new(TokenValidationOutcomeKind.Authenticated, result, entry);

    public static TokenValidationOutcome NoToken(AuthenticateResult result) => new(TokenValidationOutcomeKind.NoToken, result);

    public static TokenValidationOutcome Rejected(AuthenticateResult result, string? error, string? description, string? uri)
        => new(TokenValidationOutcomeKind.Rejected, result, Error: error, ErrorDescription: description, ErrorUri: uri);

    public static TokenValidationOutcome Abandoned(AuthenticateResult result) => new(TokenValidationOutcomeKind.Abandoned, result);

    public static TokenValidationOutcome Abandoned(ExceptionDispatchInfo exception) => new(TokenValidationOutcomeKind.Abandoned, null, LeaderException: exception);
}
