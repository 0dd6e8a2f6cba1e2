using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// The send instrumentation taken apart, to see where its time and bytes go: an Activity started
/// and stopped with no attributes; the same with the send span's attributes (those a sampler sees
/// given as it starts, the rest once Kafka answered) and the two send metrics (everything but the header); and the two send metrics alone. (The header is <see cref="ProducerInstrumentationBenchmarks.HeaderOnly"/>.)
/// </summary>
public class SendInstrumentationPartsBenchmarks : InstrumentationBenchmark
{
    private static readonly ActivitySource Source = new(InstrumentationTelemetry.PartsSourceName);

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
        var topic = KafkaSendTopic.For(Topic);
        var activity = Source.StartActivity("send messages", ActivityKind.Producer, parentContext: default, tags: topic.StartTags.For(Producer));
        Activity.Current = callersActivity;
        new KafkaSendOperation(activity, topic, Stopwatch.GetTimestamp(), Producer, Key, Tombstone: false).Succeeded(Acknowledged, Cluster);
    }

    [Benchmark(Description = "send metrics")]
    public void Metrics() => new KafkaSendOperation(Activity: null, KafkaSendTopic.For(Topic), Stopwatch.GetTimestamp(), Producer, Key, Tombstone: false).Succeeded(Acknowledged, Cluster);
}
