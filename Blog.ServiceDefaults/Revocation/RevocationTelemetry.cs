using System.Diagnostics.Metrics;

namespace Blog.ServiceDefaults.Revocation;

/// <summary>
/// Meter <c>Blog.Revocation</c>, one for both sides: events published (user service); received, entries evicted
/// and the time from publication to eviction (each post service instance).
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

    public RevocationTelemetry()
    {
        _published = _meter.CreateCounter<long>("blog.revocation.events.published", description: "Revocation events published");
        _publishFailed = _meter.CreateCounter<long>("blog.revocation.events.publish_failed", description: "Revocation events that could not be published");
        _received = _meter.CreateCounter<long>("blog.revocation.events.received", description: "Revocation events received");
        _evicted = _meter.CreateCounter<long>("blog.revocation.entries.evicted", description: "Cache entries evicted by revocation events");
        _deliveryMilliseconds = _meter.CreateHistogram<double>("blog.revocation.delivery.duration", unit: "ms",
            description: "Time from a revocation's publication to its eviction in this instance");
    }

    public void Published() => _published.Add(1);

    public void PublishFailed() => _publishFailed.Add(1);

    public void Received(double deliveryMilliseconds)
    {
        _received.Add(1);
        _deliveryMilliseconds.Record(deliveryMilliseconds);
    }

    public void Evicted(long entries, string level) => _evicted.Add(entries, new KeyValuePair<string, object?>("level", level));

    public void Dispose() => _meter.Dispose();
}
