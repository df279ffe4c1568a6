using System.Data.Common;
using Blog.ServiceDefaults.Http;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Database;

/// <summary>
/// A request that failed because the database could not be reached (a transient failure, or retries used up) is not the
/// caller's fault nor a bug: 503 with Retry-After and a ProblemDetails body, instead of a 500. Anything else is left to
/// the default handling.
/// </summary>
public sealed partial class DatabaseUnavailableExceptionHandler(ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        LogDatabaseUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path.Value ?? "");
        return await httpContext.WriteRetryLaterAsync(StatusCodes.Status503ServiceUnavailable, RetryAfter,
            "The database is temporarily unavailable",
            "The database could not be reached; retry after the time given in Retry-After.", exception);
    }

    private static bool IsDatabaseUnavailable(Exception exception)
        => exception.AndInner().Any(cause => cause is RetryLimitExceededException or DbException { IsTransient: true });

    [LoggerMessage(LogLevel.Warning, "The database is unavailable: {Method} {Path} answered 503")]
    private partial void LogDatabaseUnavailable(Exception exception, string method, string path);
}
