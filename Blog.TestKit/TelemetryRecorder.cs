using System.Diagnostics.Metrics;

namespace Blog.TestKit;

/// <summary>Counts what the instruments of one meter record, by tag.</summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = [];

    /// <summary>
    /// Records the meter <paramref name="meterName"/> created by <paramref name="meterFactory"/> only: tests in other
    /// classes run in parallel with their own meters of that name, whose measurements would otherwise be counted here too.
    /// </summary>
    public TelemetryRecorder(IMeterFactory meterFactory, string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagMap = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                tagMap[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, tagMap));
            }
        });
        _listener.Start();
    }

    public long Sum(string instrument, string? tag = null, string? value = null)
    {
        lock (_measurements)
        {
            return _measurements
                .Where(measurement => measurement.Instrument == instrument
                    && (tag is null || (measurement.Tags.TryGetValue(tag, out var tagValue) && Equals(tagValue, value))))
                .Sum(measurement => measurement.Value);
        }
    }

    public void Dispose() => _listener.Dispose();
}
