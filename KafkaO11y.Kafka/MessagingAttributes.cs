namespace KafkaO11y.Kafka;

/// <summary>
/// Attribute names and values from OpenTelemetry's messaging semantic conventions (Kafka).
/// </summary>
public static class MessagingAttributes
{
    /// <summary><c>messaging.system</c>: always <see cref="KafkaSystem"/> here.</summary>
    public const string System = "messaging.system";
    /// <summary><c>messaging.operation.name</c>: <c>send</c> or <c>process</c>.</summary>
    public const string OperationName = "messaging.operation.name";
    /// <summary><c>messaging.operation.type</c>: <c>send</c> or <c>process</c>.</summary>
    public const string OperationType = "messaging.operation.type";
    /// <summary><c>messaging.destination.name</c>: the topic.</summary>
    public const string DestinationName = "messaging.destination.name";
    /// <summary><c>messaging.destination.partition.id</c>: the partition, as a string.</summary>
    public const string PartitionId = "messaging.destination.partition.id";
    /// <summary><c>messaging.kafka.offset</c>: the message's offset in its partition.</summary>
    public const string KafkaOffset = "messaging.kafka.offset";
    /// <summary><c>messaging.kafka.message.key</c>: the message's key, when it is a string.</summary>
    public const string KafkaMessageKey = "messaging.kafka.message.key";
    /// <summary><c>messaging.kafka.message.tombstone</c>: true for a message with no value; absent otherwise.</summary>
    public const string KafkaMessageTombstone = "messaging.kafka.message.tombstone";
    /// <summary><c>messaging.kafka.cluster.id</c>: the id of the cluster, as the client learned it from the brokers.</summary>
    public const string KafkaClusterId = "messaging.kafka.cluster.id";

    /// <summary><c>messaging.batch.message_count</c>: the number of messages a batch's span covers.</summary>
    public const string BatchMessageCount = "messaging.batch.message_count";

    /// <summary><c>messaging.consumer.group.name</c>: the consumer's group id.</summary>
    public const string ConsumerGroupName = "messaging.consumer.group.name";
    /// <summary><c>messaging.client.id</c>: the client's <c>client.id</c>.</summary>
    public const string ClientId = "messaging.client.id";
    /// <summary><c>server.address</c>: the host of the first bootstrap server.</summary>
    public const string ServerAddress = "server.address";
    /// <summary><c>server.port</c>: the port of the first bootstrap server.</summary>
    public const string ServerPort = "server.port";
    /// <summary><c>error.type</c>: Kafka's error code, or the exception's type, of a failed operation.</summary>
    public const string ErrorType = "error.type";

    /// <summary>The value of <see cref="System"/> for Kafka.</summary>
    public const string KafkaSystem = "kafka";

    /// <summary>Values of <see cref="OperationType"/>.</summary>
    public static class Operations
    {
        /// <summary>A send to Kafka.</summary>
        public const string Send = "send";
        /// <summary>Processing a consumed message.</summary>
        public const string Process = "process";
    }
}
