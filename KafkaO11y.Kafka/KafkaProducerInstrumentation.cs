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
        // Without a parent given, the span is the current span's child, or a new trace's root.
        var activity = KafkaTelemetry.ActivitySource.StartActivity(
            sendTopic.SpanName, ActivityKind.Producer, parentContext: default, tags: sendTopic.StartTags.For(client));

        // The send span, now current; without one (not sampled, no listener), the caller's context is passed on.
        var context = Activity.Current?.Context ?? default;
        message.Headers ??= [];
        KafkaHeaderPropagation.Inject(context, message.Headers);

        return new KafkaSendOperation(activity, sendTopic, Stopwatch.GetTimestamp(), client, message.Key as string, message.Value is null);
    }
}

/// <summary>
/// One send in flight: ends its span and records its metrics once Kafka answered. The span gets
/// the attributes no sampler needs only then: the less that lives while the message is in flight,
/// the less the garbage collector finds alive, and promotes, at a collection.
/// </summary>
internal readonly record struct KafkaSendOperation(
    Activity? Activity, KafkaSendTopic Topic, long StartTimestamp, KafkaClientInfo Client, string? Key, bool Tombstone)
{
    /// <summary>Kafka acknowledged the message: where it is, and the cluster that has it (known to the client once a broker answered).</summary>
    public void Succeeded(TopicPartitionOffset acknowledged, KafkaClusterId cluster)
    {
        if (Activity is not null)
        {
            if (Activity.IsAllDataRequested)
            {
                AddSendTags(Activity);
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
            if (Activity.IsAllDataRequested)
            {
                AddSendTags(Activity);
            }

            Activity.RecordFailure(errorType, exception);
            Activity.Dispose();
        }

        var failed = Topic.Failed(errorType);
        failed.Add();
        KafkaTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds, failed.Tags);
    }

    private void AddSendTags(Activity activity) => activity.AddRecordedSpanTags(Key, Tombstone, Client);
}

/// <summary>Partition ids as attribute values (strings, as the conventions say), made once.</summary>
internal static class KafkaPartitionIds
{
    private static readonly string[] Cached = [.. Enumerable.Range(0, 256).Select(partition => partition.ToString(CultureInfo.InvariantCulture))];

    public static string Of(int partition) =>
        (uint)partition < (uint)Cached.Length ? Cached[partition] : partition.ToString(CultureInfo.InvariantCulture);
}
