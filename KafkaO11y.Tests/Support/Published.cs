namespace KafkaO11y.Tests.Support;

/// <summary>What the Producer answers for a message it published (as its JSON reads; the Consumer's answers are its own types).</summary>
public sealed record Published(Guid Id, long Sequence, string Topic, int Partition, long Offset)
{
    /// <summary>Whether <paramref name="span"/> is this message's send span, found by where Kafka put the message.</summary>
    public bool IsSentBy(DashboardSpan span) =>
        span.Kind == DashboardSpan.ProducerKind
        && span.Name == $"send {Topic}"
        && span.Attributes.GetValueOrDefault("messaging.destination.partition.id") == Partition.ToString()
        && span.Attributes.GetValueOrDefault("messaging.kafka.offset") == Offset.ToString();
}
