using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Confluent.Kafka;

namespace KafkaO11y.Tests.Support;

/// <summary>What the Consumer's group has committed, as Kafka tells any client (a plain OffsetFetch, no group join).</summary>
public static class ConsumerGroupOffsets
{
    public const string Group = "kafka-o11y-consumer";

    /// <summary>Committed offset per partition of <paramref name="topic"/> (-1001 where nothing is committed yet).</summary>
    public static async Task<Dictionary<int, long>> CommittedAsync(DistributedApplication app, string topic, IEnumerable<int> partitions)
    {
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = await app.GetConnectionStringAsync("kafka"),
            GroupId = Group,
        }).Build();
        return probe.Committed(partitions.Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }
}
