using Blog.ServiceDefaults.Http;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Validation.AspNetCore.OpenIddictValidationAspNetCoreHandlerFilters;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace Blog.PostService.Authentication;

/// <summary>
/// When a token could not be checked because the user service is unreachable (server_error) or answered 503
/// (temporarily_unavailable), the caller did nothing wrong: answer 503 with Retry-After and a ProblemDetails body
/// instead of OpenIddict's 500/400. Ordered after OpenIddict's AttachHttpResponseCode so it has the last word.
/// </summary>
public sealed class ServiceUnavailableChallengeHandler(IOptions<TokenValidationOptions> options)
    : IOpenIddictValidationHandler<ProcessChallengeContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
        = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessChallengeContext>()
            .AddFilter<RequireHttpRequest>()
            .UseSingletonHandler<ServiceUnavailableChallengeHandler>()
            .SetOrder(OpenIddictValidationAspNetCoreHandlers.AttachHttpResponseCode<ProcessChallengeContext>.Descriptor.Order + 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessChallengeContext context)
    {
        if (context.Transaction.Response?.Error is not (OpenIddictConstants.Errors.ServerError or OpenIddictConstants.Errors.TemporarilyUnavailable)
            || context.Transaction.GetHttpRequest()?.HttpContext is not { } httpContext)
        {
            return;
        }

        await httpContext.WriteRetryLaterAsync(StatusCodes.Status503ServiceUnavailable, options.Value.RetryAfter,
            "Token validation is temporarily unavailable",
            "The access token could not be checked because the user service cannot be reached. Retry later.");
        context.HandleRequest();
    }
}
