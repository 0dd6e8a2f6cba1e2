namespace KafkaO11y.Kafka;

/// <summary>
/// The configuration sections the integration reads. An environment variable sets a key with
/// <c>__</c> for each <c>:</c> (<c>Kafka__Consumer__GroupId</c>).
/// </summary>
public static class KafkaConfigurationSections
{
    /// <summary>Which parts of the integration run (<see cref="KafkaClientSettings"/>).</summary>
    public const string Settings = "Kafka";

    /// <summary>Binds onto every client, producer and consumer (security settings, for example).</summary>
    public const string Client = Settings + ":Client";

    /// <summary>Binds onto Confluent.Kafka's <c>ProducerConfig</c>, after <see cref="Client"/>.</summary>
    public const string Producer = Settings + ":Producer";

    /// <summary>Binds onto Confluent.Kafka's <c>ConsumerConfig</c>, after <see cref="Client"/>.</summary>
    public const string Consumer = Settings + ":Consumer";
}
