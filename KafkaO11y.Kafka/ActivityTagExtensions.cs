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
    /// The attributes of a recorded send or process span that a sampler has no use for: the
    /// message's key and tombstone mark, and the client's id, which Kafka's client API does not tell.
    /// </summary>
    public static void AddRecordedSpanTags(this Activity activity, string? key, bool tombstone, KafkaClientInfo client)
    {
        // AddTag, not SetTag: each name is added once, so no search of the tags added so far.
        activity.AddTagIfNotNull(MessagingAttributes.KafkaMessageKey, key);
        if (tombstone)
        {
            // Only when true, as the conventions say: absent means false.
            activity.AddTag(MessagingAttributes.KafkaMessageTombstone, BoxedTrue);
        }

        activity.AddTagIfNotNull(MessagingAttributes.ClientId, client.ClientId);
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
