using System.Collections.Concurrent;

namespace KafkaO11y.Kafka;

/// <summary>
/// The attributes the conventions ask to be given as a span starts, so that a sampler can decide
/// on them: system, operation, destination, partition, consumer group and server. They are the same
/// for every message one client sends to a topic (or processes from a partition), so they are made
/// once per client and kept.
/// </summary>
internal sealed class KafkaSpanStartTags(string operation, string? topic, string? partitionId)
{
    private readonly (string Operation, string? Topic, string? PartitionId) _span = (operation, topic, partitionId);

    // Keyed by the client's instance: two clients configured alike are still two entries, and the
    // lookup hashes no strings.
    private readonly ConcurrentDictionary<KafkaClientInfo, KeyValuePair<string, object?>[]> _byClient = new(ReferenceEqualityComparer.Instance);

    // A topic is usually sent to, or a partition read, by one client: the last one asked for is the next.
    private ClientTags? _last;

    public KeyValuePair<string, object?>[] For(KafkaClientInfo client)
    {
        var last = _last;
        if (last is not null && ReferenceEquals(last.Client, client))
        {
            return last.Tags;
        }

        var tags = _byClient.GetOrAdd(client, static (client, span) => Make(span.Operation, span.Topic, span.PartitionId, client), _span);
        _last = new ClientTags(client, tags);
        return tags;
    }

    /// <summary>The attributes for a span of <paramref name="operation"/>; a null topic or partition is left out.</summary>
    public static KeyValuePair<string, object?>[] Make(string operation, string? topic, string? partitionId, KafkaClientInfo client)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new(MessagingAttributes.System, MessagingAttributes.KafkaSystem),
            new(MessagingAttributes.OperationName, operation),
            new(MessagingAttributes.OperationType, operation),
        };
        AddIfNotNull(MessagingAttributes.DestinationName, topic);
        AddIfNotNull(MessagingAttributes.PartitionId, partitionId);
        AddIfNotNull(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup); // null for a producer
        AddIfNotNull(MessagingAttributes.ServerAddress, client.ServerAddress);
        AddIfNotNull(MessagingAttributes.ServerPort, client.ServerPortTag);
        return [.. tags];

        void AddIfNotNull(string name, object? value)
        {
            if (value is not null)
            {
                tags.Add(new(name, value));
            }
        }
    }

    private sealed record ClientTags(KafkaClientInfo Client, KeyValuePair<string, object?>[] Tags);
}
