using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// The per-message work of <see cref="InstrumentedProducer{TKey,TValue}"/>: a <c>send {topic}</c>
/// span (kind Producer), its context in the message headers, and the send metrics once Kafka answered.
/// </summary>
internal static class KafkaProducerInstrumentation
{
    public static KafkaSendOperation StartSend<TKey, TValue>(KafkaClientInfo client, string topic, Message<TKey, TValue> message)
    {
        var activity = KafkaTelemetry.ActivitySource.StartActivity(KafkaSpanNames.Send.For(topic), ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            AddSendTags(activity, client, topic, message.Key as string);
        }

        // Without a span of our own (not sampled, no listener), still pass on the caller's context.
        var context = activity?.Context ?? Activity.Current?.Context ?? default;
        message.Headers ??= [];
        KafkaHeaderPropagation.Inject(context, message.Headers);

        return new KafkaSendOperation(activity, topic, Stopwatch.GetTimestamp());
    }

    /// <summary>The send span's attributes known before Kafka answers.</summary>
    internal static void AddSendTags(Activity activity, KafkaClientInfo client, string topic, string? key) =>
        activity.AddOperationTags(MessagingAttributes.Operations.Send, topic, key, client);
}

/// <summary>One send in flight: ends its span and records its metrics once Kafka answered.</summary>
internal readonly record struct KafkaSendOperation(Activity? Activity, string Topic, long StartTimestamp)
{
    public void Succeeded(TopicPartitionOffset acknowledged)
    {
        if (Activity is not null)
        {
            Activity.AddTag(MessagingAttributes.PartitionId, acknowledged.Partition.Value.ToString(CultureInfo.InvariantCulture));
            Activity.AddTag(MessagingAttributes.KafkaOffset, acknowledged.Offset.Value);
            Activity.Dispose();
        }

        Record(errorType: null);
    }

    public void Failed(string errorType, Exception? exception)
    {
        if (Activity is not null)
        {
            Activity.RecordFailure(errorType, exception);
            Activity.Dispose();
        }

        Record(errorType);
    }

    private void Record(string? errorType)
    {
        var tags = new TagList
        {
            { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
            { MessagingAttributes.OperationName, MessagingAttributes.Operations.Send },
            { MessagingAttributes.DestinationName, Topic },
        };
        if (errorType is not null)
        {
            tags.Add(MessagingAttributes.ErrorType, errorType);
        }

        KafkaTelemetry.SentMessages.Add(1, tags);
        KafkaTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds, tags);
    }
}
