using System.Diagnostics.Metrics;
using Blog.PostService.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Blog.Tests.PostService;

/// <summary>The post service's token validation registered in a bare host, without the AppHost.</summary>
internal static class TokenValidationTestHost
{
    public static readonly Dictionary<string, string?> ValidSettings = new()
    {
        ["Authentication:Issuer"] = "http://userservice/",
        ["Authentication:ClientSecret"] = "test-secret-not-used-for-anything",
    };

    public static IHost Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        configureServices?.Invoke(builder.Services);
        builder.AddTokenValidation();
        return builder.Build();
    }
}

/// <summary>Counts what an instrument of <see cref="IntrospectionTelemetry.MeterName"/> records, by tag.</summary>
internal sealed class TelemetryRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = [];

    /// <summary>
    /// Records the token-validation meter created by <paramref name="meterFactory"/> only: tests in other classes run
    /// in parallel with their own caches, whose measurements would otherwise be counted here too.
    /// </summary>
    public TelemetryRecorder(IMeterFactory meterFactory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == IntrospectionTelemetry.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
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
