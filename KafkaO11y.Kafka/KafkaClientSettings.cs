namespace KafkaO11y.Kafka;

/// <summary>
/// Which parts of the Kafka integration run, as Aspire's integrations have them: configuration
/// section <c>Kafka</c> (<see cref="KafkaConfigurationSections.Settings"/>; <c>Kafka__DisableTracing=true</c>), then the <c>configureSettings</c> callback.
/// </summary>
public sealed class KafkaClientSettings
{
    /// <summary>No health check of the client (it is part of <c>/health</c> otherwise).</summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>The integration does not add its spans to the service's OpenTelemetry tracing (the header is still written and read).</summary>
    public bool DisableTracing { get; set; }

    /// <summary>The integration does not add its meter (messaging metrics, librdkafka statistics) to the service's OpenTelemetry metrics.</summary>
    public bool DisableMetrics { get; set; }

    /// <summary>
    /// For a consumer: where the spans of <c>ProcessAsync</c> (<see cref="KafkaConsumerInstrumentation"/>)
    /// sit (<c>Kafka__TraceShape=LinkToProducerTrace</c>, or per consumer in its <c>configureSettings</c>).
    /// </summary>
    public KafkaTraceShape TraceShape { get; set; } = KafkaTraceShape.ContinueProducerTrace;
}
