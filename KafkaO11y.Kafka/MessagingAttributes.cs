namespace KafkaO11y.Kafka;

/// <summary>
/// Attribute names and values from OpenTelemetry's messaging semantic conventions (Kafka).
/// </summary>
public static class MessagingAttributes
{
    public const string System = "messaging.system";
    public const string OperationName = "messaging.operation.name";
    public const string OperationType = "messaging.operation.type";
    public const string DestinationName = "messaging.destination.name";
    public const string PartitionId = "messaging.destination.partition.id";
    public const string KafkaOffset = "messaging.kafka.offset";
    public const string KafkaMessageKey = "messaging.kafka.message.key";
    public const string ConsumerGroupName = "messaging.consumer.group.name";
    public const string ClientId = "messaging.client.id";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    public const string KafkaSystem = "kafka";

    /// <summary>Values of <see cref="OperationType"/>.</summary>
    public static class Operations
    {
        public const string Send = "send";
        public const string Process = "process";
    }
}
