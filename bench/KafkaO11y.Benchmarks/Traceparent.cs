using System.Diagnostics;

namespace KafkaO11y.Benchmarks;

/// <summary>The trace context of the propagation-only variant: what a propagating producer must carry at least.</summary>
internal static class Traceparent
{
    /// <summary>
    /// One context for every message of the propagation-only variant (and of the consumer's
    /// messages), written with <c>KafkaHeaderPropagation.Inject</c>: one 55-byte <c>traceparent</c>
    /// header, formatted per message, nothing else (no trace state, no baggage).
    /// </summary>
    public static readonly ActivityContext FixedContext =
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
}
