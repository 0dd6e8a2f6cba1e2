using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KafkaO11y.Kafka;

/// <summary>
/// The one <see cref="ActivitySource"/> and <see cref="Meter"/> of the Kafka integration, and the
/// instruments named by OpenTelemetry's messaging conventions.
/// </summary>
public static class KafkaTelemetry
{
    public const string ActivitySourceName = "KafkaO11y.Kafka";
    public const string MeterName = "KafkaO11y.Kafka";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);

    // Messaging operations take microseconds to seconds: finer buckets at the low end than the
    // conventions' defaults, so a local broker's sub-millisecond sends do not all land in one bucket.
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries =
            [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    };

    // The two message counts are added to per message in cells of their own (KafkaMessageCells.cs) and
    // read from there when metrics are collected: the conventions' counters, at a fraction of the cost.
    public static readonly ObservableCounter<long> SentMessages = Meter.CreateObservableCounter(
        "messaging.client.sent.messages", KafkaSendTopic.Observe, "{message}", "Messages a producer attempted to send to Kafka.");

    public static readonly ObservableCounter<long> ConsumedMessages = Meter.CreateObservableCounter(
        "messaging.client.consumed.messages", KafkaProcessPartition.Observe, "{message}", "Messages a consumer received from Kafka.");

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "messaging.client.operation.duration", "s", "Duration of a messaging operation (send until acknowledged).",
        tags: null, advice: DurationBuckets);

    public static readonly Histogram<double> ProcessDuration = Meter.CreateHistogram(
        "messaging.process.duration", "s", "Duration of processing one consumed message.",
        tags: null, advice: DurationBuckets);

    public static readonly Counter<long> DeadLetteredMessages = Meter.CreateCounter<long>(
        "kafkao11y.messages.dead_lettered", "{message}",
        "Messages that could not be processed and were written to a dead-letter topic, by source topic and error type.");

    public static readonly Counter<long> DuplicateMessages = Meter.CreateCounter<long>(
        "kafkao11y.messages.duplicates", "{message}",
        "Messages a consumer received again after it had processed them (redelivered, or sent twice), by topic and partition.");

    public static readonly Histogram<double> EndToEndLatency = Meter.CreateHistogram(
        "kafkao11y.message.end_to_end.duration", "s",
        "Time from a message's creation (its Kafka timestamp) until a consumer finished processing it.",
        tags: null, advice: DurationBuckets);
}
