using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.ServiceDefaults.Http;

/// <summary>
/// Refusals that say when to come back (429, 503): Retry-After in whole seconds, rounded up and at least 1 (a client
/// retrying at 0 would only be refused again), no-store (the refusal is of this moment), and a ProblemDetails body.
/// </summary>
public static class RetryLater
{
    /// <summary>The Retry-After value of a wait: whole seconds, rounded up, at least 1.</summary>
    public static string Seconds(TimeSpan wait)
        => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Retry-After and no-store on an answer whose body someone else writes (e.g. an OAuth error).</summary>
    public static void SetRetryAfter(this HttpResponse response, TimeSpan wait)
    {
        response.Headers.RetryAfter = Seconds(wait);
        response.Headers.CacheControl = "no-store";
    }

    /// <summary>The whole refusal: status, Retry-After, no-store and a ProblemDetails body. False when no writer
    /// accepts the request's Accept header (the status and headers are set all the same).</summary>
    public static async Task<bool> WriteRetryLaterAsync(
        this HttpContext context, int statusCode, TimeSpan retryAfter, string title, string detail, Exception? exception = null)
    {
        context.Response.StatusCode = statusCode;
        context.Response.SetRetryAfter(retryAfter);
        return await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = statusCode, Title = title, Detail = detail },
        });
    }
}
