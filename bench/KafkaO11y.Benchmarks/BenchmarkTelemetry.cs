using System.Diagnostics;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// OpenTelemetry as the services run it, minus the network: spans from the <c>KafkaO11y.Kafka</c>
/// source sampled by a parent-based trace-id-ratio sampler (the ratio set per measurement), the
/// <c>KafkaO11y.Kafka</c> meter, OpenTelemetry logging, each signal through the batching processor
/// or periodic reader an OTLP exporter would use, into an exporter that only counts. The providers
/// listen for the whole run; only the full variants emit anything to them.
/// </summary>
internal sealed class BenchmarkTelemetry : IAsyncDisposable
{
    /// <summary>OpenTelemetry's default is 60 s; a second is the busy end (and what a local dashboard wants).</summary>
    public const int MetricExportIntervalMs = 1_000;

    private readonly IHost _host;

    private readonly RatioSampler _sampler;

    private BenchmarkTelemetry(IHost host, RatioSampler sampler, RecordedSpanCounter recorded, CountingExporter<Activity> spans,
        CountingExporter<Metric> metrics, CountingExporter<LogRecord> logs)
    {
        _host = host;
        _sampler = sampler;
        RecordedSpans = recorded;
        Spans = spans;
        Metrics = metrics;
        Logs = logs;
        Logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaO11y.Benchmarks");
    }

    /// <summary>Spans that ended recorded: what the batch processor was offered.</summary>
    public RecordedSpanCounter RecordedSpans { get; }

    /// <summary>Spans the batch processor exported (recorded minus what its full queue dropped).</summary>
    public CountingExporter<Activity> Spans { get; }

    public CountingExporter<Metric> Metrics { get; }

    public CountingExporter<LogRecord> Logs { get; }

    public ILogger Logger { get; }

    public static async Task<BenchmarkTelemetry> StartAsync()
    {
        var sampler = new RatioSampler();
        var recorded = new RecordedSpanCounter();
        var spans = new CountingExporter<Activity>();
        var metrics = new CountingExporter<Metric>();
        var logs = new CountingExporter<LogRecord>();

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddProcessor(new BatchLogRecordExportProcessor(logs));
        });
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .SetSampler(sampler)
                .AddKafkaInstrumentation()
                .AddProcessor(recorded)
                .AddProcessor(new BatchActivityExportProcessor(spans)))
            .WithMetrics(meters => meters
                .AddKafkaInstrumentation()
                .AddReader(new PeriodicExportingMetricReader(metrics, MetricExportIntervalMs)));

        var host = builder.Build();
        await host.StartAsync();
        return new BenchmarkTelemetry(host, sampler, recorded, spans, metrics, logs);
    }

    /// <summary>
    /// Exports the buffered spans and metrics, so that no export work spills into the next
    /// measurement. Logs (one line per measurement, none from the instrumentation) only at the end.
    /// </summary>
    public void Flush(bool logs = false)
    {
        _host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        _host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        if (logs)
        {
            _host.Services.GetRequiredService<LoggerProvider>().ForceFlush();
        }
    }

    /// <summary>
    /// Before a measurement: the garbage and buffered telemetry of the previous one must not be
    /// paid for by this one.
    /// </summary>
    public void Settle(Variant variant)
    {
        _sampler.Use(variant.Sampling);
        Flush();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>
/// <c>parentbased_traceidratio</c> as OpenTelemetry builds it (<see cref="ParentBasedSampler"/>
/// around <see cref="TraceIdRatioBasedSampler"/>), its ratio changed between measurements: the
/// providers live for the whole run, and a provider's sampler is fixed when it is built.
/// </summary>
internal sealed class RatioSampler : Sampler
{
    private volatile Sampler _current = new ParentBasedSampler(new TraceIdRatioBasedSampler(1));

    public void Use(double ratio) => _current = new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio));

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => _current.ShouldSample(samplingParameters);
}

/// <summary>Counts the spans that ended recorded, before the batch processor (which may drop some).</summary>
internal sealed class RecordedSpanCounter : BaseProcessor<Activity>
{
    private long _recorded;

    public long Recorded => Interlocked.Read(ref _recorded);

    public override void OnEnd(Activity data)
    {
        if (data.Recorded)
        {
            Interlocked.Increment(ref _recorded);
        }
    }
}

/// <summary>An exporter that ships nothing: it counts what it was given.</summary>
internal sealed class CountingExporter<T> : BaseExporter<T> where T : class
{
    private long _exported;

    public long Exported => Interlocked.Read(ref _exported);

    public override ExportResult Export(in Batch<T> batch)
    {
        Interlocked.Add(ref _exported, batch.Count);
        return ExportResult.Success;
    }
}
