namespace KafkaO11y.AppHost.Kafka;

/// <summary>
/// Client settings (ServiceDefaults' configuration keys, such as <c>Kafka:Consumer:FetchWaitMaxMs</c>)
/// that a Kafka resource asks of every service that uses it.
/// </summary>
public sealed record KafkaClientSettingsAnnotation(IReadOnlyDictionary<string, string> Settings) : IResourceAnnotation;
