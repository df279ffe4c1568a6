using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Blog.UserService.Authorization;

/// <summary>Token endpoint requests per client address, section <c>RateLimiting:TokenEndpoint</c>.</summary>
public sealed class TokenEndpointRateLimitOptions
{
    public const string SectionName = "RateLimiting:TokenEndpoint";

    [Range(1, 100_000)]
    public int PermitLimit { get; set; } = 30;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

public static class TokenRateLimiting
{
    public const string PolicyName = "token-endpoint";

    public static void AddTokenEndpointRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TokenEndpointRateLimitOptions>()
            .BindConfiguration(TokenEndpointRateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var settings = builder.Configuration.GetSection(TokenEndpointRateLimitOptions.SectionName).Get<TokenEndpointRateLimitOptions>()
            ?? new TokenEndpointRateLimitOptions();

        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(PolicyName, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitLimit,
                    Window = settings.Window,
                    QueueLimit = 0,
                }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : settings.Window;
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many token requests",
                        Detail = "Too many token requests from this address; retry after the time given in Retry-After.",
                    },
                });
            };
        });
    }
}
