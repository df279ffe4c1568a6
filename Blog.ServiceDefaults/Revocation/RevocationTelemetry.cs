using System.Diagnostics.Metrics;

namespace Blog.ServiceDefaults.Revocation;

/// <summary>
/// Meter <c>Blog.Revocation</c>, one for both sides: events published, revocations waiting in the outbox and those
/// delivered from it (user service); received, entries evicted and the time from publication to eviction (each post
/// service instance).
/// </summary>
public sealed class RevocationTelemetry : IDisposable
{
    public const string MeterName = "Blog.Revocation";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishFailed;
    private readonly Counter<long> _received;
    private readonly Counter<long> _evicted;
    private readonly Histogram<double> _deliveryMilliseconds;
    private readonly Counter<long> _outboxDelivered;
    private long _outboxPending = -1; // -1 until this process has an outbox to report (the post service never has)

    public RevocationTelemetry()
    {
        _published = _meter.CreateCounter<long>("blog.revocation.events.published", description: "Revocation events published");
        _publishFailed = _meter.CreateCounter<long>("blog.revocation.events.publish_failed", description: "Revocation events that could not be published");
        _received = _meter.CreateCounter<long>("blog.revocation.events.received", description: "Revocation events received");
        _evicted = _meter.CreateCounter<long>("blog.revocation.entries.evicted", description: "Cache entries evicted by revocation events");
        _deliveryMilliseconds = _meter.CreateHistogram<double>("blog.revocation.delivery.duration", unit: "ms",
            description: "Time from a revocation's publication to its eviction in this instance");
        _outboxDelivered = _meter.CreateCounter<long>("blog.revocation.outbox.delivered",
            description: "Revocations delivered from the outbox after Redis could not take them at once");
        _meter.CreateObservableGauge("blog.revocation.outbox.pending", ObserveOutboxPending,
            description: "Revocations waiting in the outbox for Redis (as last counted by this instance)");
    }

    public void Published() => _published.Add(1);

    public void PublishFailed() => _publishFailed.Add(1);

    public void OutboxDelivered() => _outboxDelivered.Add(1);

    public void OutboxPending(long pending) => Interlocked.Exchange(ref _outboxPending, pending);

    private IEnumerable<Measurement<long>> ObserveOutboxPending()
        => Interlocked.Read(ref _outboxPending) is var pending and >= 0 ? [new Measurement<long>(pending)] : [];

    public void Received(double deliveryMilliseconds)
    {
        _received.Add(1);
        _deliveryMilliseconds.Record(deliveryMilliseconds);
    }

    public void Evicted(long entries, string level) => _evicted.Add(entries, new KeyValuePair<string, object?>("level", level));

    public void Dispose() => _meter.Dispose();
}
