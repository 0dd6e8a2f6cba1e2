using KafkaO11y.Consumer;

namespace KafkaO11y.Tests.Support;

/// <summary>Reading the Consumer's <c>GET /stats</c>.</summary>
internal static class ProcessingSnapshots
{
    /// <summary>
    /// Whether the Consumer got past the message at <paramref name="offset"/>: between the first and
    /// last offset it got past on that partition. Holds for one consumer with no rebalance, which
    /// goes through a partition's offsets in order.
    /// </summary>
    public static bool GotPast(this ProcessingSnapshot stats, string topic, int partition, long offset) =>
        stats.Partitions.Any(p => p.Topic == topic && p.Partition == partition && p.FirstOffset <= offset && offset <= p.LastOffset);
}
