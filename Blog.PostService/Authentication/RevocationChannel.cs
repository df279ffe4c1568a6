using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Blog.PostService.Authentication;

/// <summary>
/// Whether this instance would hear a revocation now. Alive while the subscription's connection is up and the channel
/// was heard (an event, or an answer to the subscriber's probe on the subscription's own connection) within
/// <see cref="TokenValidationOptions.RevocationSilenceLimit"/>: a crashed Redis breaks the connection at once, a hung
/// one keeps it open and falls silent. While it is down, a cached entry is trusted only until
/// <see cref="TokenValidationOptions.DegradedStalenessBound"/> after the later of its introspection and the last time
/// the channel was heard, so a revocation made during the fault is refused within that bound (the entry is
/// introspected again, once per token at a time) and cached tokens keep being served meanwhile.
/// </summary>
public sealed class RevocationChannel
{
    public const string StateMetric = "blog.revocation.channel.alive";
    public const string SilenceMetric = "blog.revocation.channel.silence";

    private readonly TimeProvider _timeProvider;
    private readonly long _silenceLimitTicks;
    private readonly long _stalenessBoundTicks;
    // UTC ticks of the last sign of life; 0 until the first one. Broken until the first subscription.
    private long _lastHeardTicks;
    private volatile bool _broken = true;

    public RevocationChannel(IOptions<TokenValidationOptions> options, TimeProvider timeProvider, IMeterFactory meterFactory)
    {
        _timeProvider = timeProvider;
        _silenceLimitTicks = options.Value.RevocationSilenceLimit.Ticks;
        _stalenessBoundTicks = options.Value.DegradedStalenessBound.Ticks;
        // Per instance: the exporter tags every measurement with the instance, so the dashboard shows each replica's state.
        var meter = meterFactory.Create(IntrospectionTelemetry.MeterName);
        meter.CreateObservableGauge(StateMetric, () => IsAlive(_timeProvider.GetUtcNow()) ? 1 : 0, "{state}",
            "1 while this instance hears its revocation channel, 0 while it does not (cached entries then live at most the degraded bound).");
        meter.CreateObservableGauge(SilenceMetric, () => Silence(_timeProvider.GetUtcNow()).TotalSeconds, "s",
            "Time since this instance last heard its revocation channel (an event or a probe's answer); while down, how long it has been down and more.");
    }

    /// <summary>When the channel was last heard, if ever.</summary>
    public DateTimeOffset? LastHeard => Interlocked.Read(ref _lastHeardTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public bool IsBroken => _broken;

    public bool IsAlive(DateTimeOffset now) => !_broken && now.UtcTicks - Interlocked.Read(ref _lastHeardTicks) <= _silenceLimitTicks;

    public TimeSpan Silence(DateTimeOffset now)
        => Interlocked.Read(ref _lastHeardTicks) is var ticks and > 0 ? TimeSpan.FromTicks(Math.Max(0, now.UtcTicks - ticks)) : TimeSpan.MaxValue;

    /// <summary>
    /// Whether an entry may be served now: always while the channel is alive; while it is down, only before the
    /// degraded bound after the later of the entry's introspection and the last time the channel was heard.
    /// </summary>
    public bool Trusts(CachedIntrospection entry, DateTimeOffset now)
    {
        if (IsAlive(now))
        {
            return true;
        }

        var confirmed = Math.Max(entry.StoredAt?.UtcTicks ?? 0, Interlocked.Read(ref _lastHeardTicks));
        return now.UtcTicks < confirmed + _stalenessBoundTicks;
    }

    /// <summary>A sign of life: an event or a probe's answer.</summary>
    internal void Heard(DateTimeOffset now) => Interlocked.Exchange(ref _lastHeardTicks, now.UtcTicks);

    /// <summary>The connection the subscription uses dropped: down at once, whatever was heard last.</summary>
    internal void Break() => _broken = true;

    /// <summary>Subscribed again on a working connection.</summary>
    internal void Restore(DateTimeOffset now)
    {
        Interlocked.Exchange(ref _lastHeardTicks, now.UtcTicks);
        _broken = false;
    }
}
