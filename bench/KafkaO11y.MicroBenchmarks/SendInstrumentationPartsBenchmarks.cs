using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// The send instrumentation taken apart, to see where its time and bytes go: an Activity started
/// and stopped with no attributes; the same with the send span's ten attributes and the two send
/// metrics (everything but the header); and the two send metrics alone. (The header is <see cref="ProducerInstrumentationBenchmarks.HeaderOnly"/>.)
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class SendInstrumentationPartsBenchmarks
{
    private const string Topic = "messages";
    private static readonly KafkaClientInfo Client = new("kafka-o11y-producer", "127.0.0.1", 9092, ConsumerGroup: null);
    private static readonly TopicPartitionOffset Acknowledged = new(Topic, 1, 123_456);
    private static readonly ActivitySource Source = new(InstrumentationTelemetry.PartsSourceName);

    private readonly string _key = Guid.CreateVersion7().ToString();
    private InstrumentationTelemetry? _telemetry;

    [Params(true, false)]
    public bool Sampled { get; set; }

    [GlobalSetup]
    public void Setup() => _telemetry = new InstrumentationTelemetry(Sampled);

    [GlobalCleanup]
    public void Cleanup() => _telemetry?.Dispose();

    [Benchmark(Description = "span, no attributes")]
    public void Span()
    {
        var callersActivity = Activity.Current;
        var activity = Source.StartActivity("send messages", ActivityKind.Producer);
        Activity.Current = callersActivity;
        activity?.Dispose();
    }

    [Benchmark(Description = "span with attributes, and metrics")]
    public void SpanWithAttributes()
    {
        var callersActivity = Activity.Current;
        var activity = Source.StartActivity("send messages", ActivityKind.Producer);
        Activity.Current = callersActivity;
        if (activity is { IsAllDataRequested: true })
        {
            KafkaProducerInstrumentation.AddSendTags(activity, Client, Topic, _key);
        }

        new KafkaSendOperation(activity, Topic, 0).Succeeded(Acknowledged);
    }

    [Benchmark(Description = "send metrics")]
    public void Metrics() => new KafkaSendOperation(Activity: null, Topic, Stopwatch.GetTimestamp()).Succeeded(Acknowledged);
}
