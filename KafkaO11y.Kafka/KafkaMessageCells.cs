using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace KafkaO11y.Kafka;

/// <summary>
/// A message count for one set of attributes, added to per message (an interlocked increment) and
/// reported by an observable counter when metrics are collected: one SDK measurement per collection
/// instead of one per message, which costs about 100 ns (the SDK hashes every attribute to find the
/// time series). Counts run from the process's start, as an observable counter's do.
/// </summary>
internal sealed class MessageCountCell(KeyValuePair<string, object?>[] tags)
{
    private long _count;

    public KeyValuePair<string, object?>[] Tags { get; } = tags;

    public long Count => Interlocked.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}

/// <summary>
/// What the send path needs of a topic, made once per topic: the span name, the attributes of the
/// send metrics, the count of messages sent, and the partition ids as attribute values.
/// </summary>
internal sealed class KafkaSendTopic
{
    private static readonly ConcurrentDictionary<string, KafkaSendTopic> Topics = new();
    private static readonly ConcurrentDictionary<(string Topic, string ErrorType), MessageCountCell> Failures = new();

    private KafkaSendTopic(string topic)
    {
        Name = topic;
        SpanName = $"{MessagingAttributes.Operations.Send} {topic}";
        MetricTags =
        [
            new(MessagingAttributes.System, MessagingAttributes.KafkaSystem),
            new(MessagingAttributes.OperationName, MessagingAttributes.Operations.Send),
            new(MessagingAttributes.DestinationName, topic),
        ];
        Sent = new MessageCountCell(MetricTags);
        StartTags = new KafkaSpanStartTags(MessagingAttributes.Operations.Send, topic, partitionId: null);
    }

    public string Name { get; }

    public string SpanName { get; }

    /// <summary>The attributes of <c>messaging.client.sent.messages</c> and <c>messaging.client.operation.duration</c> for a send that succeeded.</summary>
    public KeyValuePair<string, object?>[] MetricTags { get; }

    /// <summary>Messages sent (acknowledged) to the topic.</summary>
    public MessageCountCell Sent { get; }

    /// <summary>The send span's attributes for its sampler.</summary>
    public KafkaSpanStartTags StartTags { get; }

    // A producer usually sends to one topic, named by the same string every time.
    [ThreadStatic]
    private static KafkaSendTopic? _last;

    public static KafkaSendTopic For(string topic)
    {
        var last = _last;
        if (last is not null && last.Name == topic)
        {
            return last;
        }

        return _last = Topics.GetOrAdd(topic, static name => new KafkaSendTopic(name));
    }

    /// <summary>Messages whose send failed with <paramref name="errorType"/>: rare, so looked up each time.</summary>
    public MessageCountCell Failed(string errorType) =>
        Failures.GetOrAdd((Name, errorType), static (key, tags) => new MessageCountCell([.. tags, new(MessagingAttributes.ErrorType, key.ErrorType)]), MetricTags);

    /// <summary>Every count, for the observable counter.</summary>
    public static IEnumerable<Measurement<long>> Observe()
    {
        foreach (var topic in Topics.Values)
        {
            yield return new Measurement<long>(topic.Sent.Count, topic.Sent.Tags);
        }

        foreach (var failed in Failures.Values)
        {
            yield return new Measurement<long>(failed.Count, failed.Tags);
        }
    }
}

/// <summary>
/// What the process path needs of a partition read by a consumer group, made once: the span name,
/// the partition id as a string, the metrics' attributes, and the count of messages consumed.
/// </summary>
internal sealed class KafkaProcessPartition
{
    private static readonly ConcurrentDictionary<(string Topic, int Partition, string? Group), KafkaProcessPartition> Partitions = new();

    // A consumer reads batches of one partition at a time: the last one looked up is usually the next.
    [ThreadStatic]
    private static KafkaProcessPartition? _last;

    private KafkaProcessPartition(string topic, int partition, string? group)
    {
        Topic = topic;
        Partition = partition;
        Group = group;
        SpanName = $"{MessagingAttributes.Operations.Process} {topic}";
        PartitionId = partition.ToString(CultureInfo.InvariantCulture);
        KeyValuePair<string, object?>[] consumedTags =
        [
            new(MessagingAttributes.System, MessagingAttributes.KafkaSystem),
            new(MessagingAttributes.DestinationName, topic),
            new(MessagingAttributes.PartitionId, PartitionId),
            new(MessagingAttributes.ConsumerGroupName, group),
        ];
        Consumed = new MessageCountCell(consumedTags);
        ProcessTags = [.. consumedTags, new(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process)];
        StartTags = new KafkaSpanStartTags(MessagingAttributes.Operations.Process, topic, PartitionId);
    }

    public string Topic { get; }

    public int Partition { get; }

    public string? Group { get; }

    public string SpanName { get; }

    public string PartitionId { get; }

    /// <summary>Messages received from the partition (<c>messaging.client.consumed.messages</c>).</summary>
    public MessageCountCell Consumed { get; }

    /// <summary>The attributes of <c>messaging.process.duration</c> and the end-to-end latency for a message processed.</summary>
    public KeyValuePair<string, object?>[] ProcessTags { get; }

    /// <summary>The process span's attributes for its sampler.</summary>
    public KafkaSpanStartTags StartTags { get; }

    public static KafkaProcessPartition For(string topic, int partition, string? group)
    {
        var last = _last;
        if (last is not null && last.Partition == partition && last.Group == group && last.Topic == topic)
        {
            return last;
        }

        return _last = Partitions.GetOrAdd((topic, partition, group), static key => new KafkaProcessPartition(key.Topic, key.Partition, key.Group));
    }

    /// <summary>Every count, for the observable counter.</summary>
    public static IEnumerable<Measurement<long>> Observe()
    {
        foreach (var partition in Partitions.Values)
        {
            yield return new Measurement<long>(partition.Consumed.Count, partition.Consumed.Tags);
        }
    }
}
