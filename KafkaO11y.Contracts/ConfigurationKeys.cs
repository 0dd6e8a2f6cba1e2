using KafkaO11y.Kafka;

namespace KafkaO11y.Contracts;

/// <summary>The services' configuration keys that the AppHost (and the benchmarks) set.</summary>
public static class ConfigurationKeys
{
    /// <summary>Section of the services' messaging settings.</summary>
    public const string Messaging = "Messaging";

    /// <summary>The topic the Producer writes and the Consumer reads.</summary>
    public const string MessagingTopic = Messaging + ":Topic";

    /// <summary>Messages the Consumer processes in one batch span.</summary>
    public const string ProcessingBatchSize = "Processing:BatchSize";

    /// <summary>The Kafka integration's sections, which the AppHost sets for the services.</summary>
    public const string KafkaClient = KafkaConfigurationSections.Client;

    /// <summary>Binds onto Confluent.Kafka's <c>ProducerConfig</c>.</summary>
    public const string KafkaProducer = KafkaConfigurationSections.Producer;

    /// <summary>Binds onto Confluent.Kafka's <c>ConsumerConfig</c>.</summary>
    public const string KafkaConsumer = KafkaConfigurationSections.Consumer;

    /// <summary>The environment variable that sets a configuration key (<c>Kafka:Client:SaslUsername</c> is <c>Kafka__Client__SaslUsername</c>).</summary>
    public static string EnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
