using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What <c>ProcessAsync</c> adds to one consumed message around an empty handler: the header
/// extraction alone, and the whole process instrumentation (extraction, span with tags and link,
/// baggage, the three consumer metrics).
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class ConsumerInstrumentationBenchmarks
{
    private const string Topic = "messages";
    private static readonly KafkaClientInfo Client = new("kafka-o11y-consumer", "127.0.0.1", 9092, "kafka-o11y-consumer");
    private static readonly Func<ConsumeResult<string, byte[]>, CancellationToken, Task> EmptyHandler = static (_, _) => Task.CompletedTask;

    private ConsumeResult<string, byte[]> _consumed = null!;
    private InstrumentationTelemetry? _telemetry;

    /// <summary>Every span recorded (AlwaysOnSampler), or none (AlwaysOffSampler: context and metrics only).</summary>
    [Params(true, false)]
    public bool Sampled { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _telemetry = new InstrumentationTelemetry(Sampled);
        var producer = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        _consumed = new ConsumeResult<string, byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset(Topic, 1, 123_456),
            Message = new Message<string, byte[]>
            {
                Key = Guid.CreateVersion7().ToString(),
                Value = new byte[100],
                Timestamp = new Timestamp(DateTime.UtcNow),
                Headers = new Headers { { "traceparent", Encoding.ASCII.GetBytes($"00-{producer.TraceId}-{producer.SpanId}-01") } },
            },
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _telemetry?.Dispose();

    [Benchmark(Description = "handler only")]
    public void HandlerOnly() => EmptyHandler(_consumed, CancellationToken.None).GetAwaiter().GetResult();

    [Benchmark(Description = "traceparent extraction")]
    public ActivityContext ExtractOnly() => KafkaHeaderPropagation.Extract(_consumed.Message.Headers).ActivityContext;

    [Benchmark(Description = "process instrumentation")]
    public void Process() =>
        KafkaConsumerInstrumentation.ProcessAsync(Client, _consumed, EmptyHandler, CancellationToken.None).GetAwaiter().GetResult();
}
