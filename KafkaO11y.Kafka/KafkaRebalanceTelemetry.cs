using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Kafka;

/// <summary>
/// Makes a consumer group rebalance visible where a user looks: a log line naming the partitions
/// this member was given or lost, and a short <c>rebalance</c> span whose event says the same (the
/// rebalance count itself is librdkafka's, <c>messaging.kafka.consumer.rebalances</c>). Called by
/// librdkafka's rebalance callbacks, on the thread inside <c>Consume</c>.
/// </summary>
internal sealed partial class KafkaRebalanceTelemetry(ILogger<KafkaRebalanceTelemetry> logger, KafkaClientInfo client)
{
    public const string SpanName = "rebalance";
    public const string PartitionsAttribute = "messaging.kafka.partitions";

    public void Assigned(IReadOnlyCollection<TopicPartition> partitions) => Record("partitions_assigned", partitions);

    public void Revoked(IReadOnlyCollection<TopicPartitionOffset> partitions) => Record("partitions_revoked", [.. partitions.Select(p => p.TopicPartition)]);

    /// <summary>Taken away without a clean revoke (the member was too slow or cut off): its uncommitted work will be redone elsewhere.</summary>
    public void Lost(IReadOnlyCollection<TopicPartitionOffset> partitions) => Record("partitions_lost", [.. partitions.Select(p => p.TopicPartition)]);

    private void Record(string change, IReadOnlyCollection<TopicPartition> partitions)
    {
        var described = Describe(partitions);
        using (var activity = KafkaTelemetry.ActivitySource.StartActivity(SpanName, ActivityKind.Internal))
        {
            activity?.SetTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
            activity?.SetTag(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup);
            activity?.AddEvent(new ActivityEvent(change, tags: new ActivityTagsCollection { [PartitionsAttribute] = described }));
            LogRebalance(client.ConsumerGroup, change, partitions.Count, described);
        }
    }

    /// <summary>"messages[0,2] messages.dlq[1]", or "none".</summary>
    public static string Describe(IEnumerable<TopicPartition> partitions)
    {
        var text = string.Join(' ', partitions
            .GroupBy(p => p.Topic, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}[{string.Join(',', g.Select(p => p.Partition.Value).Order())}]"));
        return text.Length == 0 ? "none" : text;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer group {ConsumerGroup} rebalance: {Change} {Count} partition(s): {Partitions}")]
    private partial void LogRebalance(string? consumerGroup, string change, int count, string partitions);
}
