using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What <c>ProcessAsync</c> adds to one consumed message around an empty handler: the header
/// extraction alone, the three consumer metrics alone, and the whole process instrumentation
/// (extraction, span with attributes and link, the metrics); and a batch of 100 messages processed
/// in one span with a link each, per message.
/// </summary>
public class ConsumerInstrumentationBenchmarks : InstrumentationBenchmark
{
    private static readonly Func<ConsumeResult<string, byte[]>, CancellationToken, Task> EmptyHandler = static (_, _) => Task.CompletedTask;

    private const int BatchSize = 100;

    private static readonly Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> EmptyBatchHandler = static (_, _) => Task.CompletedTask;

    private ConsumeResult<string, byte[]> _consumed = null!;
    private ConsumeResult<string, byte[]>[] _batch = null!;

    protected override void Setup(ActivityContext remoteContext)
    {
        _consumed = Consumed(remoteContext, Acknowledged.Offset.Value);
        _batch = [.. Enumerable.Range(0, BatchSize).Select(index => Consumed(remoteContext, Acknowledged.Offset.Value + index))];
    }

    private ConsumeResult<string, byte[]> Consumed(ActivityContext producerContext, long offset)
    {
        var consumed = new ConsumeResult<string, byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset(Acknowledged.TopicPartition, offset),
            Message = new Message<string, byte[]> { Key = Key, Value = new byte[100], Timestamp = new Timestamp(DateTime.UtcNow), Headers = [] },
        };
        KafkaHeaderPropagation.Inject(producerContext, consumed.Message.Headers);
        return consumed;
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

    [Benchmark(Description = "batch of 100 processed, per message", OperationsPerInvoke = BatchSize)]
    public void ProcessBatch() =>
        KafkaBatchInstrumentation.ProcessBatchAsync(Consumer, Cluster, _batch, EmptyBatchHandler, CancellationToken.None).GetAwaiter().GetResult();
}
