using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// The send instrumentation taken apart, to see where its time and bytes go: an Activity started
/// and stopped with no attributes; the same with the send span's ten attributes and the two send
/// metrics (everything but the header); and the two send metrics alone. (The header is <see cref="ProducerInstrumentationBenchmarks.HeaderOnly"/>.)
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
        var activity = Source.StartActivity("send messages", ActivityKind.Producer);
        Activity.Current = callersActivity;
        if (activity is { IsAllDataRequested: true })
        {
            KafkaProducerInstrumentation.AddSendTags(activity, Producer, Topic, Key, tombstone: false);
        }

        new KafkaSendOperation(activity, KafkaSendTopic.For(Topic), Stopwatch.GetTimestamp()).Succeeded(Acknowledged, Cluster);
    }

    [Benchmark(Description = "send metrics")]
    public void Metrics() => new KafkaSendOperation(Activity: null, KafkaSendTopic.For(Topic), Stopwatch.GetTimestamp()).Succeeded(Acknowledged, Cluster);
}
