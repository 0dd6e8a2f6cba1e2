using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KafkaO11y.Kafka;

/// <summary>
/// The one <see cref="ActivitySource"/> and <see cref="Meter"/> of the Kafka integration, and the
/// instruments named by OpenTelemetry's messaging conventions.
/// </summary>
public static class KafkaTelemetry
{
    /// <summary>The name of the integration's <see cref="ActivitySource"/>, for a tracer provider's <c>AddSource</c>.</summary>
    public const string ActivitySourceName = "KafkaO11y.Kafka";

    /// <summary>The name of the integration's <see cref="Meter"/>, for a meter provider's <c>AddMeter</c>.</summary>
    public const string MeterName = "KafkaO11y.Kafka";

    /// <summary>The version of OpenTelemetry's semantic conventions the spans and metrics follow.</summary>
    public const string SchemaUrl = "https://opentelemetry.io/schemas/1.44.0";

    private static readonly string? Version = typeof(KafkaTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource ActivitySource = new(new ActivitySourceOptions(ActivitySourceName) { Version = Version, TelemetrySchemaUrl = SchemaUrl });
    internal static readonly Meter Meter = new(NewMeterOptions());

    /// <summary>The meter's name, version and schema URL, for the statistics meter a host's meter factory makes.</summary>
    internal static MeterOptions NewMeterOptions() => new(MeterName) { Version = Version, TelemetrySchemaUrl = SchemaUrl };

    // Messaging operations take microseconds to seconds: finer buckets at the low end than the
    // conventions' defaults, so a local broker's sub-millisecond sends do not all land in one bucket.
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries =
            [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    };

    // The two message counts are added to per message in cells of their own (KafkaMessageCells.cs) and
    // read from there when metrics are collected: the conventions' counters, at a fraction of the cost.
    internal static readonly ObservableCounter<long> SentMessages = Meter.CreateObservableCounter(
        "messaging.client.sent.messages", KafkaSendTopic.Observe, "{message}", "Messages a producer attempted to send to Kafka.");

    internal static readonly ObservableCounter<long> ConsumedMessages = Meter.CreateObservableCounter(
        "messaging.client.consumed.messages", KafkaProcessPartition.Observe, "{message}", "Messages a consumer received from Kafka.");

    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "messaging.client.operation.duration", "s", "Duration of a messaging operation (send until acknowledged).",
        tags: null, advice: DurationBuckets);

    internal static readonly Histogram<double> ProcessDuration = Meter.CreateHistogram(
        "messaging.process.duration", "s", "Duration of processing one consumed message.",
        tags: null, advice: DurationBuckets);

    internal static readonly Histogram<double> EndToEndLatency = Meter.CreateHistogram(
        "kafkao11y.message.end_to_end.duration", "s",
        "Time from a message's creation (its Kafka timestamp) until a consumer finished processing it.",
        tags: null, advice: DurationBuckets);
}
