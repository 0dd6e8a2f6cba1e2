using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What <c>InstrumentedProducer.Produce</c> adds to one message, without the client: making the
/// message (the baseline), the header alone, and the whole send instrumentation (span start, tags,
/// header, span end with partition and offset, the two send metrics).
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class ProducerInstrumentationBenchmarks
{
    private const string Topic = "messages";
    private static readonly KafkaClientInfo Client = new("kafka-o11y-producer", "127.0.0.1", 9092, ConsumerGroup: null);
    private static readonly TopicPartitionOffset Acknowledged = new(Topic, 1, 123_456);
    private static readonly ActivityContext CallerContext =
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    private readonly string _key = Guid.CreateVersion7().ToString();
    private readonly byte[] _value = new byte[100];
    private InstrumentationTelemetry? _telemetry;

    /// <summary>Every span recorded (AlwaysOnSampler), or none (AlwaysOffSampler: context and metrics only).</summary>
    [Params(true, false)]
    public bool Sampled { get; set; }

    [GlobalSetup]
    public void Setup() => _telemetry = new InstrumentationTelemetry(Sampled);

    [GlobalCleanup]
    public void Cleanup() => _telemetry?.Dispose();

    [Benchmark(Description = "message only")]
    public Message<string, byte[]> MessageOnly() => new() { Key = _key, Value = _value };

    [Benchmark(Description = "traceparent header")]
    public Message<string, byte[]> HeaderOnly()
    {
        var message = new Message<string, byte[]> { Key = _key, Value = _value, Headers = [] };
        KafkaHeaderPropagation.Inject(CallerContext, message.Headers);
        return message;
    }

    [Benchmark(Description = "send instrumentation")]
    public Message<string, byte[]> Send()
    {
        var message = new Message<string, byte[]> { Key = _key, Value = _value };
        // As InstrumentedProducer.Produce: the span ends later, on the delivery report.
        var callersActivity = Activity.Current;
        var send = KafkaProducerInstrumentation.StartSend(Client, Topic, message);
        Activity.Current = callersActivity;
        send.Succeeded(Acknowledged);
        return message;
    }
}
