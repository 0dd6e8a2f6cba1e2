using System.Diagnostics.Metrics;

namespace KafkaO11y.Consumer;

/// <summary>
/// The Consumer's own metrics: what happened to messages in this application (dead-lettered,
/// received twice), beside the Kafka integration's messaging metrics.
/// </summary>
public static class ConsumerTelemetry
{
    public const string MeterName = "KafkaO11y.Consumer";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> DeadLetteredMessages = Meter.CreateCounter<long>(
        "kafkao11y.messages.dead_lettered", "{message}",
        "Messages that could not be processed and were written to a dead-letter topic, by source topic and error type.");

    public static readonly Counter<long> DuplicateMessages = Meter.CreateCounter<long>(
        "kafkao11y.messages.duplicates", "{message}",
        "Messages a consumer received again after it had processed them (redelivered, or sent twice), by topic and partition.");
}
