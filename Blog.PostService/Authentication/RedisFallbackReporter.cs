using System.Diagnostics;

namespace Blog.PostService.Authentication;

/// <summary>
/// Counts every Redis call of the token cache that was skipped or failed, and warns about it at most once per
/// interval: during an outage every request falls back, the logs need not say so each time.
/// </summary>
public sealed partial class RedisFallbackReporter(IntrospectionTelemetry telemetry, ILogger<IntrospectionCache> logger)
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    private long _lastWarningTimestamp;
    private long _suppressedWarnings;

    public void Report(string reason, Exception? exception)
    {
        telemetry.Fallback(reason);

        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTimestamp);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < WarningInterval)
        {
            Interlocked.Increment(ref _suppressedWarnings);
            return;
        }

        if (Interlocked.CompareExchange(ref _lastWarningTimestamp, now, last) == last)
        {
            LogRedisFallback(exception, reason, Interlocked.Exchange(ref _suppressedWarnings, 0));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis unavailable for the introspection cache ({Reason}); validating tokens by introspection ({Suppressed} similar warnings suppressed)")]
    private partial void LogRedisFallback(Exception? exception, string reason, long suppressed);
}
