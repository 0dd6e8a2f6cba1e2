using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The spans, metrics and log records a host in the test process exports, through OpenTelemetry's
/// in-memory exporters (the Kafka integration adds its own source and meter). The host's threads add
/// to the lists while the test reads them, so the test reads copies.
/// </summary>
internal sealed class CapturedTelemetry
{
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly List<LogRecord> _logs = [];

    /// <summary>
    /// Exports the host's telemetry here, with the spans of <paramref name="sources"/> besides the
    /// integration's; every new trace recorded, a child sampled as its parent was (OpenTelemetry's default).
    /// </summary>
    public void AddTo(IHostApplicationBuilder builder, params string[] sources)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.AddInMemoryExporter(_logs);
        });
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.SetSampler(new ParentBasedSampler(new AlwaysOnSampler())).AddSource(sources).AddInMemoryExporter(_spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(_metrics));
    }

    public IReadOnlyList<Activity> Spans => _spans.ToArray();

    public IReadOnlyList<LogRecord> Logs => _logs.ToArray();

    /// <summary>The metrics of the last collection (<see cref="Flush"/>).</summary>
    public IReadOnlyList<Metric> Metrics => _metrics.ToArray();

    /// <summary>Exports what the host has ended or recorded so far; the metrics then are only this collection's.</summary>
    public void Flush(IHost host)
    {
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        _metrics.Clear();
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        host.Services.GetRequiredService<LoggerProvider>().ForceFlush();
    }

    /// <summary>Forgets the metrics collected so far, so that only a later collection's are read.</summary>
    public void ClearMetrics() => _metrics.Clear();

    /// <summary>The sum of a counter's points whose tags include all of <paramref name="tags"/>, collected now.</summary>
    public long CounterSum(IHost host, string name, params (string Key, string Value)[] tags)
    {
        _metrics.Clear();
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        return Metrics.Where(m => m.Name == name)
            .SelectMany(Points)
            .Where(point => tags.All(t => Tag(point, t.Key) == t.Value))
            .Sum(point => point.GetSumLong());
    }

    /// <summary>A metric's points, one per set of tags.</summary>
    public static IReadOnlyList<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    /// <summary>A point's value of the tag <paramref name="key"/>, as text.</summary>
    public static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    /// <summary>The log records whose formatted message starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<LogRecord> LogsStartingWith(string prefix) =>
        Logs.Where(l => l.FormattedMessage?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();
}
