using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// The metrics of one message taken apart: a count added to its cell, and one histogram measurement
/// with the attributes the consumer's histograms carry (five), fewer, or none, to see what the SDK's
/// lookup of the time series by its attributes costs.
/// </summary>
public class MetricPartsBenchmarks : InstrumentationBenchmark
{
    private KafkaProcessPartition _partition = null!;
    private KeyValuePair<string, object?>[] _threeTags = null!;

    protected override void Setup(ActivityContext remoteContext)
    {
        _partition = KafkaProcessPartition.For(Topic, 1, Consumer.ConsumerGroup);
        _threeTags = _partition.ProcessTags[..3];
    }

    [Benchmark(Description = "count added to its cell")]
    public void Count() => _partition.Consumed.Add();

    [Benchmark(Description = "cell looked up (topic, partition, group)")]
    public object Lookup() => KafkaProcessPartition.For(Topic, 1, Consumer.ConsumerGroup);

    [Benchmark(Description = "histogram, 5 attributes")]
    public void HistogramFiveTags() => KafkaTelemetry.ProcessDuration.Record(0.001, _partition.ProcessTags);

    [Benchmark(Description = "histogram, 3 attributes")]
    public void HistogramThreeTags() => KafkaTelemetry.ProcessDuration.Record(0.001, _threeTags);

    [Benchmark(Description = "histogram, no attributes")]
    public void HistogramNoTags() => KafkaTelemetry.ProcessDuration.Record(0.001);
}
