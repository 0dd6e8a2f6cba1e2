using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaO11y.Kafka;

/// <summary>
/// The part of librdkafka's statistics document (STATISTICS.md) the metrics read. Every field is
/// required: a document without one is rejected whole rather than reported half.
/// </summary>
internal sealed class LibrdkafkaStatistics
{
    public required string Name { get; init; }

    /// <summary><c>producer</c> or <c>consumer</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Messages in the client's queues.</summary>
    public required long MsgCnt { get; init; }

    /// <summary>Bytes of the messages in the client's queues.</summary>
    public required long MsgSize { get; init; }

    /// <summary>Requests sent to brokers.</summary>
    public required long Tx { get; init; }

    /// <summary>Responses received from brokers.</summary>
    public required long Rx { get; init; }

    public required long TxBytes { get; init; }

    public required long RxBytes { get; init; }

    public Dictionary<string, BrokerStatistics> Brokers { get; init; } = [];

    public Dictionary<string, TopicStatistics> Topics { get; init; } = [];

    /// <summary>The consumer group; absent for a producer.</summary>
    public GroupStatistics? Cgrp { get; init; }

    public bool IsConsumer => Type == "consumer";

    /// <summary>Reads a document, or says why it cannot.</summary>
    public static LibrdkafkaStatistics Parse(string json) =>
        JsonSerializer.Deserialize(json, LibrdkafkaStatisticsJsonContext.Default.LibrdkafkaStatistics)
        ?? throw new JsonException("The statistics document is null.");

    public sealed class BrokerStatistics
    {
        /// <summary>-1 for a bootstrap entry, which stands for no real broker.</summary>
        [JsonPropertyName("nodeid")]
        public required int NodeId { get; init; }

        [JsonPropertyName("nodename")]
        public required string NodeName { get; init; }

        /// <summary>Round-trip time of requests over the last window, in microseconds.</summary>
        public required WindowStatistics Rtt { get; init; }
    }

    public sealed class WindowStatistics
    {
        public required long Avg { get; init; }

        public required long P99 { get; init; }
    }

    public sealed class TopicStatistics
    {
        public Dictionary<string, PartitionStatistics> Partitions { get; init; } = [];
    }

    public sealed class PartitionStatistics
    {
        /// <summary>-1 for librdkafka's internal "unassigned" queue.</summary>
        public required int Partition { get; init; }

        /// <summary>-1 while not known.</summary>
        public required long ConsumerLag { get; init; }
    }

    public sealed class GroupStatistics
    {
        public required long RebalanceCnt { get; init; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(LibrdkafkaStatistics))]
internal sealed partial class LibrdkafkaStatisticsJsonContext : JsonSerializerContext;
