using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What every micro-benchmark shares: OpenTelemetry listening, with every span sampled or none,
/// and the client and topic of the services.
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public abstract class InstrumentationBenchmark
{
    protected const string Topic = "messages";
    protected static readonly KafkaClientInfo Producer = new("kafka-o11y-producer", "127.0.0.1", 9092, ConsumerGroup: null);
    protected static readonly KafkaClientInfo Consumer = new("kafka-o11y-consumer", "127.0.0.1", 9092, "kafka-o11y-consumer");
    protected static readonly TopicPartitionOffset Acknowledged = new(Topic, 1, 123_456);

    /// <summary>A sampled context from elsewhere: the producer's request, or the consumed message's producer.</summary>
    protected static readonly ActivityContext RemoteContext =
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    private InstrumentationTelemetry? _telemetry;

    /// <summary>Every span recorded (AlwaysOnSampler), or none (AlwaysOffSampler: context and metrics only).</summary>
    [Params(true, false)]
    public bool Sampled { get; set; }

    /// <summary>A message id, as the Producer service makes its keys.</summary>
    protected string Key { get; } = Guid.CreateVersion7().ToString();

    [GlobalSetup]
    public void Setup() => _telemetry = new InstrumentationTelemetry(Sampled);

    [GlobalCleanup]
    public void Cleanup() => _telemetry?.Dispose();
}
