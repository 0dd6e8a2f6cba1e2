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

    /// <summary>Exports the host's telemetry here; every new trace recorded, a child sampled as its parent was.</summary>
    public void AddTo(IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.AddInMemoryExporter(_logs);
        });
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.SetSampler(new ParentBasedSampler(new AlwaysOnSampler())).AddInMemoryExporter(_spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(_metrics));
    }

    public IReadOnlyList<Activity> Spans => _spans.ToArray();

    public IReadOnlyList<LogRecord> Logs => _logs.ToArray();

    /// <summary>The sum of a counter's points whose tags include all of <paramref name="tags"/>, collected now.</summary>
    public long CounterSum(IHost host, string name, params (string Key, string Value)[] tags)
    {
        _metrics.Clear();
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        long sum = 0;
        foreach (var metric in _metrics.ToArray().Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var pointTags = new Dictionary<string, string?>();
                foreach (var tag in point.Tags)
                {
                    pointTags[tag.Key] = tag.Value?.ToString();
                }

                if (tags.All(t => pointTags.GetValueOrDefault(t.Key) == t.Value))
                {
                    sum += point.GetSumLong();
                }
            }
        }

        return sum;
    }

    /// <summary>The log records whose formatted message starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<LogRecord> LogsStartingWith(string prefix) =>
        Logs.Where(l => l.FormattedMessage?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();
}
