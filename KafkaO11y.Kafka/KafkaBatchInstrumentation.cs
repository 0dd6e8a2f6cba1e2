using System.Diagnostics;
using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// Processing of a batch of consumed messages inside one <c>process {topic}</c> span (kind
/// Consumer), as the messaging conventions (v1.44) describe a batch: a link to each message's
/// producer context, <c>messaging.batch.message_count</c>, and no parent taken from any one message
/// (its parent is the span current when processing starts, if any).
/// </summary>
public static class KafkaBatchInstrumentation
{
    /// <summary>
    /// Runs <paramref name="process"/> on <paramref name="batch"/> inside one process span, and
    /// records each message's metrics: every message is counted as consumed, and, once the batch is
    /// processed, each message's end-to-end latency; the batch's processing time is one
    /// <c>messaging.process.duration</c>, as long as the span. An exception from
    /// <paramref name="process"/> marks the span failed and is thrown on.
    /// </summary>
    /// <param name="consumer">The consumer that consumed the messages; one <c>AddInstrumentedKafkaConsumer</c> built gives the span its client id, group and server.</param>
    /// <param name="batch">The messages, in the order they were consumed; at least one.</param>
    /// <param name="process">The handler, given the whole batch.</param>
    /// <param name="cancellationToken">Passed to the handler.</param>
    public static Task ProcessBatchAsync<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer,
        IReadOnlyList<ConsumeResult<TKey, TValue>> batch,
        Func<IReadOnlyList<ConsumeResult<TKey, TValue>>, CancellationToken, Task> process,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count, nameof(batch));

        return consumer is InstrumentedConsumer<TKey, TValue> instrumented
            ? ProcessBatchAsync(instrumented.Client, instrumented.ClusterId, batch, process, cancellationToken)
            : ProcessBatchAsync(KafkaClientInfo.Unknown, cluster: null, batch, process, cancellationToken);
    }

    internal static async Task ProcessBatchAsync<TKey, TValue>(
        KafkaClientInfo client,
        KafkaClusterId? cluster,
        IReadOnlyList<ConsumeResult<TKey, TValue>> batch,
        Func<IReadOnlyList<ConsumeResult<TKey, TValue>>, CancellationToken, Task> process,
        CancellationToken cancellationToken)
    {
        var partitions = new KafkaProcessPartition[batch.Count];
        var (oneTopic, onePartition) = (true, true);
        for (var index = 0; index < batch.Count; index++)
        {
            var consumed = batch[index];
            partitions[index] = KafkaProcessPartition.For(consumed.Topic, consumed.Partition.Value, client.ConsumerGroup);
            partitions[index].Consumed.Add();
            oneTopic &= partitions[index].Topic == partitions[0].Topic;
            onePartition &= oneTopic && partitions[index].Partition == partitions[0].Partition;
        }

        // A destination or partition the whole batch shares is the span's; otherwise it is left out.
        var first = partitions[0];
        // A batch of one partition starts with a single message's attributes; others are made per batch.
        var startTags = onePartition
            ? first.StartTags.For(client)
            : KafkaSpanStartTags.Make(MessagingAttributes.Operations.Process, oneTopic ? first.Topic : null, partitionId: null, client);
        using var activity = KafkaTelemetry.ActivitySource.StartActivity(
            oneTopic ? first.SpanName : MessagingAttributes.Operations.Process, ActivityKind.Consumer, parentContext: default, tags: startTags);
        if (activity is { IsAllDataRequested: true })
        {
            // A link copies its attributes, so one collection serves every link in turn (made for the first).
            ActivityTagsCollection? linkTags = null;
            for (var index = 0; index < batch.Count; index++)
            {
                var consumed = batch[index];
                var producerContext = KafkaHeaderPropagation.Extract(consumed.Message.Headers).ActivityContext;
                if (producerContext != default)
                {
                    linkTags ??= [];
                    SetLinkTags(linkTags, consumed, partitions[index], oneTopic, onePartition);
                    activity.AddLink(new ActivityLink(producerContext, linkTags));
                }
            }

            activity.AddTag(MessagingAttributes.BatchMessageCount, batch.Count);
            activity.AddTagIfNotNull(MessagingAttributes.ClientId, client.ClientId);
            activity.AddTagIfNotNull(MessagingAttributes.KafkaClusterId, cluster?.Id);
        }

        var processTags = onePartition ? first.ProcessTags : BatchTags(oneTopic ? first.Topic : null, client.ConsumerGroup);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await process(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            KafkaProcessMetrics.Failed(activity, processTags, started, e);
            throw;
        }

        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, processTags);
        // Every message of the batch was processed when the batch was: one clock read serves them all.
        var processedAt = DateTime.UtcNow;
        for (var index = 0; index < batch.Count; index++)
        {
            KafkaProcessMetrics.Processed(partitions[index], batch[index].Message.Timestamp, processedAt);
        }
    }

    /// <summary>
    /// What tells one message of the batch from another, on its link (as the conventions place
    /// per-message attributes in a batch): its offset, its tombstone mark, and its topic and
    /// partition where the batch does not share them.
    /// </summary>
    private static void SetLinkTags<TKey, TValue>(ActivityTagsCollection tags, ConsumeResult<TKey, TValue> consumed, KafkaProcessPartition partition, bool oneTopic, bool onePartition)
    {
        tags.Clear();
        tags.Add(MessagingAttributes.KafkaOffset, consumed.Offset.Value);
        if (!oneTopic)
        {
            tags.Add(MessagingAttributes.DestinationName, partition.Topic);
        }

        if (!onePartition)
        {
            tags.Add(MessagingAttributes.PartitionId, partition.PartitionId);
        }

        if (consumed.Message.Value is null)
        {
            tags.Add(MessagingAttributes.KafkaMessageTombstone, true);
        }
    }

    /// <summary>The process metrics' attributes for a batch from more than one partition.</summary>
    private static KeyValuePair<string, object?>[] BatchTags(string? topic, string? group) =>
        topic is null
            ? [new(MessagingAttributes.System, MessagingAttributes.KafkaSystem), new(MessagingAttributes.ConsumerGroupName, group), new(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process)]
            : [new(MessagingAttributes.System, MessagingAttributes.KafkaSystem), new(MessagingAttributes.DestinationName, topic), new(MessagingAttributes.ConsumerGroupName, group), new(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process)];
}
