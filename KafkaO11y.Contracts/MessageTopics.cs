namespace KafkaO11y.Contracts;

/// <summary>The topics of the system and how a dead-letter topic is named.</summary>
public static class MessageTopics
{
    /// <summary>The topic the Producer writes and the Consumer reads.</summary>
    public const string Messages = "messages";

    public const int MessagesPartitions = 3;

    /// <summary>A dead-letter topic has as many partitions as its source, so its letters spread the same way.</summary>
    public const int DeadLetterPartitions = MessagesPartitions;

    /// <summary>Where the messages of <paramref name="topic"/> that cannot be processed go: <c>{topic}.dlq</c>.</summary>
    public static string DeadLetterOf(string topic) => $"{topic}.dlq";
}
