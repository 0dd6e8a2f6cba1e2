using System.Diagnostics;
using KafkaO11y.Kafka;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// OpenTelemetry as the services run it, minus the network: the Kafka source, sampled as asked, through the batch processor an OTLP exporter would use, into an exporter that
/// drops what it gets; the Kafka meter through a periodic reader.
/// </summary>
internal sealed class InstrumentationTelemetry : IDisposable
{
    /// <summary>The source of the spans that take the instrumentation apart.</summary>
    public const string PartsSourceName = "KafkaO11y.MicroBenchmarks";

    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    public InstrumentationTelemetry(SpanSampling sampling)
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .SetSampler(sampling switch
            {
                SpanSampling.Recorded => new AlwaysOnSampler(),
                SpanSampling.SamplerDrops => new AlwaysOffSampler(),
                _ => new ParentBasedSampler(new AlwaysOnSampler()),
            })
            .AddKafkaInstrumentation()
            .AddSource(PartsSourceName)
            .AddProcessor(new BatchActivityExportProcessor(new DroppingExporter<Activity>()))
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .AddKafkaInstrumentation()
            .AddReader(new PeriodicExportingMetricReader(new DroppingExporter<Metric>(), exportIntervalMilliseconds: 1_000))
            .Build();
    }

    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }

    private sealed class DroppingExporter<T> : BaseExporter<T> where T : class
    {
        public override ExportResult Export(in Batch<T> batch) => ExportResult.Success;
    }
}
