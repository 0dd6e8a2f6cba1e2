namespace KafkaO11y.Contracts;

/// <summary>The services' configuration keys that the AppHost (and the benchmarks) set.</summary>
public static class ConfigurationKeys
{
    /// <summary>Section of the services' messaging settings.</summary>
    public const string Messaging = "Messaging";

    /// <summary>The topic the Producer writes and the Consumer reads.</summary>
    public const string MessagingTopic = Messaging + ":Topic";

    /// <summary>Binds onto every Kafka client (security settings, for example).</summary>
    public const string KafkaClient = "Kafka:Client";

    /// <summary>Binds onto Confluent.Kafka's <c>ProducerConfig</c>.</summary>
    public const string KafkaProducer = "Kafka:Producer";

    /// <summary>Binds onto Confluent.Kafka's <c>ConsumerConfig</c>.</summary>
    public const string KafkaConsumer = "Kafka:Consumer";

    /// <summary>The environment variable that sets a configuration key (<c>Kafka:Client:SaslUsername</c> is <c>Kafka__Client__SaslUsername</c>).</summary>
    public static string EnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
