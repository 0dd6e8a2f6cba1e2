using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// The per-message work of <see cref="InstrumentedProducer{TKey,TValue}"/>: a <c>send {topic}</c>
/// span (kind Producer), its context in the message headers, and the send metrics once Kafka answered.
/// </summary>
internal static class KafkaProducerInstrumentation
{
    public static KafkaSendOperation StartSend<TKey, TValue>(KafkaClientInfo client, string topic, Message<TKey, TValue> message)
    {
        var sendTopic = KafkaSendTopic.For(topic);
        var activity = KafkaTelemetry.ActivitySource.StartActivity(sendTopic.SpanName, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            AddSendTags(activity, client, topic, message.Key as string, message.Value is null);
        }

        // The send span, now current; without one (not sampled, no listener), the caller's context is passed on.
        var context = Activity.Current?.Context ?? default;
        message.Headers ??= [];
        KafkaHeaderPropagation.Inject(context, message.Headers);

        return new KafkaSendOperation(activity, sendTopic, Stopwatch.GetTimestamp());
    }

    /// <summary>The send span's attributes known before Kafka answers.</summary>
    internal static void AddSendTags(Activity activity, KafkaClientInfo client, string topic, string? key, bool tombstone) =>
        activity.AddOperationTags(MessagingAttributes.Operations.Send, topic, key, tombstone, client);
}

/// <summary>One send in flight: ends its span and records its metrics once Kafka answered.</summary>
internal readonly record struct KafkaSendOperation(Activity? Activity, KafkaSendTopic Topic, long StartTimestamp)
{
    /// <summary>Kafka acknowledged the message: where it is, and the cluster that has it (known to the client once a broker answered).</summary>
    public void Succeeded(TopicPartitionOffset acknowledged, KafkaClusterId cluster)
    {
        if (Activity is not null)
        {
            if (Activity.IsAllDataRequested)
            {
                Activity.AddTag(MessagingAttributes.PartitionId, KafkaPartitionIds.Of(acknowledged.Partition.Value));
                Activity.AddTag(MessagingAttributes.KafkaOffset, acknowledged.Offset.Value);
                Activity.AddTagIfNotNull(MessagingAttributes.KafkaClusterId, cluster.Id);
            }

            Activity.Dispose();
        }

        Topic.Sent.Add();
        KafkaTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds, Topic.MetricTags);
    }

    public void Failed(string errorType, Exception? exception)
    {
        if (Activity is not null)
        {
            Activity.RecordFailure(errorType, exception);
            Activity.Dispose();
        }

        var failed = Topic.Failed(errorType);
        failed.Add();
        KafkaTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds, failed.Tags);
    }
}

/// <summary>Partition ids as attribute values (strings, as the conventions say), made once.</summary>
internal static class KafkaPartitionIds
{
    private static readonly string[] Cached = [.. Enumerable.Range(0, 256).Select(partition => partition.ToString(CultureInfo.InvariantCulture))];

    public static string Of(int partition) =>
        (uint)partition < (uint)Cached.Length ? Cached[partition] : partition.ToString(CultureInfo.InvariantCulture);
}
