using System.Diagnostics;

namespace KafkaO11y.Kafka;

internal static class ActivityTagExtensions
{
    private static readonly object BoxedTrue = true;

    public static void AddTagIfNotNull(this Activity activity, string name, object? value)
    {
        if (value is not null)
        {
            activity.AddTag(name, value);
        }
    }

    /// <summary>
    /// The attributes of a send or process span known before the operation ends, from the
    /// conventions, including the client's that Kafka's client API does not tell (client id, group,
    /// first bootstrap server).
    /// </summary>
    public static void AddOperationTags(this Activity activity, string operation, string topic, string? key, bool tombstone, KafkaClientInfo client)
    {
        // AddTag, not SetTag: each name is added once, so no search of the tags added so far.
        activity.AddTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
        activity.AddTag(MessagingAttributes.OperationName, operation);
        activity.AddTag(MessagingAttributes.OperationType, operation);
        activity.AddTag(MessagingAttributes.DestinationName, topic);
        activity.AddTagIfNotNull(MessagingAttributes.KafkaMessageKey, key);
        if (tombstone)
        {
            // Only when true, as the conventions say: absent means false.
            activity.AddTag(MessagingAttributes.KafkaMessageTombstone, BoxedTrue);
        }

        activity.AddTagIfNotNull(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup); // null for a producer
        activity.AddTagIfNotNull(MessagingAttributes.ClientId, client.ClientId);
        activity.AddTagIfNotNull(MessagingAttributes.ServerAddress, client.ServerAddress);
        activity.AddTagIfNotNull(MessagingAttributes.ServerPort, client.ServerPortTag);
    }

    /// <summary>The attributes of a batch's process span: those of one message's, less what differs from message to message.</summary>
    public static void AddBatchTags(this Activity activity, string? topic, int messageCount, KafkaClientInfo client)
    {
        activity.AddTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
        activity.AddTag(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process);
        activity.AddTag(MessagingAttributes.OperationType, MessagingAttributes.Operations.Process);
        activity.AddTagIfNotNull(MessagingAttributes.DestinationName, topic);
        activity.AddTag(MessagingAttributes.BatchMessageCount, messageCount);
        activity.AddTagIfNotNull(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup);
        activity.AddTagIfNotNull(MessagingAttributes.ClientId, client.ClientId);
        activity.AddTagIfNotNull(MessagingAttributes.ServerAddress, client.ServerAddress);
        activity.AddTagIfNotNull(MessagingAttributes.ServerPort, client.ServerPortTag);
    }

    /// <summary>A failed send or process: error status, <c>error.type</c> and the exception, if any.</summary>
    public static void RecordFailure(this Activity activity, string errorType, Exception? exception)
    {
        activity.SetStatus(ActivityStatusCode.Error, exception?.Message ?? errorType);
        activity.SetTag(MessagingAttributes.ErrorType, errorType);
        if (exception is not null)
        {
            activity.AddException(exception);
        }
    }
}
