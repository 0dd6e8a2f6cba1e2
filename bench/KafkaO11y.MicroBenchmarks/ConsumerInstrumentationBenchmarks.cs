using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What <c>ProcessAsync</c> adds to one consumed message around an empty handler: the header
/// extraction alone, the three consumer metrics alone, and the whole process instrumentation
/// (extraction, span with attributes and link, the metrics).
/// </summary>
public class ConsumerInstrumentationBenchmarks : InstrumentationBenchmark
{
    private static readonly Func<ConsumeResult<string, byte[]>, CancellationToken, Task> EmptyHandler = static (_, _) => Task.CompletedTask;

    private ConsumeResult<string, byte[]> _consumed = null!;

    protected override void Setup(ActivityContext remoteContext)
    {
        _consumed = new ConsumeResult<string, byte[]>
        {
            TopicPartitionOffset = Acknowledged,
            Message = new Message<string, byte[]>
            {
                Key = Key,
                Value = new byte[100],
                Timestamp = new Timestamp(DateTime.UtcNow),
                Headers = [],
            },
        };
        KafkaHeaderPropagation.Inject(remoteContext, _consumed.Message.Headers);
    }

    [Benchmark(Description = "traceparent extraction")]
    public ActivityContext ExtractOnly() => KafkaHeaderPropagation.Extract(_consumed.Message.Headers).ActivityContext;

    [Benchmark(Description = "process metrics")]
    public void Metrics()
    {
        var partition = KafkaProcessPartition.For(Topic, 1, Consumer.ConsumerGroup);
        partition.Consumed.Add();
        KafkaProcessMetrics.Succeeded(partition, Stopwatch.GetTimestamp(), _consumed.Message.Timestamp);
    }

    [Benchmark(Description = "process instrumentation")]
    public void Process() =>
        KafkaConsumerInstrumentation.ProcessAsync(Consumer, KafkaTraceShape.ContinueProducerTrace, Cluster, _consumed, EmptyHandler, CancellationToken.None).GetAwaiter().GetResult();
}
