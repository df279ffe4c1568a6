using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Blog.PostService.Authentication;

/// <summary>
/// Metrics and traces of token validation, named "Blog.*" so ServiceDefaults exports them to the dashboard.
/// </summary>
public sealed class IntrospectionTelemetry
{
    public const string MeterName = "Blog.PostService.TokenValidation";
    public const string ActivitySourceName = "Blog.PostService.TokenValidation";

    /// <summary>The instruments' names, as the dashboard, the tests and the benchmark read them.</summary>
    public const string HitsMetric = "blog.token_cache.hits";
    public const string MissesMetric = "blog.token_cache.misses";
    public const string FallbacksMetric = "blog.token_cache.fallbacks";
    public const string CoalescedMetric = "blog.token_cache.coalesced";
    public const string RefusedEntriesMetric = "blog.token_cache.refused_entries";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _coalesced;
    private readonly Counter<long> _refusedEntries;
    private readonly Histogram<double> _introspectionDuration;

    public IntrospectionTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _hits = meter.CreateCounter<long>(HitsMetric, "{lookup}", "Introspection results served from a cache level (memory, redis, negative).");
        _misses = meter.CreateCounter<long>(MissesMetric, "{lookup}", "Tokens found in no cache level.");
        _fallbacks = meter.CreateCounter<long>(FallbacksMetric, "{lookup}", "Redis calls skipped or failed; validation fell back to introspection.");
        _refusedEntries = meter.CreateCounter<long>(RefusedEntriesMetric, "{entry}",
            "Redis entries refused: a seal that does not verify (not written by this service, or edited since) or no exp to bound them by.");
        _coalesced = meter.CreateCounter<long>(CoalescedMetric, "{request}", "Requests that shared another request's in-flight validation.");
        _introspectionDuration = meter.CreateHistogram<double>("blog.introspection.duration", "s", "Introspection calls to the user service, retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Hit(CacheLevel level) => _hits.Add(1, new KeyValuePair<string, object?>("level", level.ToTagValue()));

    public void Miss() => _misses.Add(1);

    public void Fallback(string reason) => _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Coalesced() => _coalesced.Add(1);

    public void RefusedEntry(string reason) => _refusedEntries.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void IntrospectionCompleted(TimeSpan duration, string outcome)
        => _introspectionDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
}

public enum CacheLevel
{
    Memory,
    Redis,
    Negative,
}

internal static class CacheLevelExtensions
{
    public static string ToTagValue(this CacheLevel level) => level switch
    {
        CacheLevel.Memory => "memory",
        CacheLevel.Redis => "redis",
        _ => "negative",
    };
}
