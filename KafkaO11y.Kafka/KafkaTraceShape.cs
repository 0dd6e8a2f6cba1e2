namespace KafkaO11y.Kafka;

/// <summary>Where a consumer's <c>process</c> span sits: inside the producer's trace, or linked to it.</summary>
/// <remarks>
/// OpenTelemetry's messaging conventions (v1.44) ask every process span to link to the context the
/// producer put in the message, and allow the process span of a single message to take that context
/// as its parent; by default, its parent is the span current when processing starts. Either way the
/// link is there, so a backend can go from one side to the other.
/// </remarks>
public enum KafkaTraceShape
{
    /// <summary>
    /// The process span is a child of the producer's context and links to it (and to the span
    /// current when processing starts, if there is one): one trace from the request that sent the
    /// message to the handler's own spans and logs, kept or dropped as the producer's side was.
    /// </summary>
    ContinueProducerTrace,

    /// <summary>
    /// The conventions' default: the process span is a child of the span current when processing
    /// starts, or the root of a new trace (sampled by the consumer's own sampler) when there is
    /// none, and links to the producer's context.
    /// </summary>
    LinkToProducerTrace,
}
