using System.Collections.Concurrent;

namespace KafkaO11y.Consumer;

/// <summary>The last offset this consumer processed in one partition.</summary>
public sealed record PartitionProgress(string Topic, int Partition, long LastOffset);

/// <summary>What <c>GET /stats</c> answers.</summary>
/// <param name="MemberId">This consumer's id in its group: with several replicas, says which one answered.</param>
public sealed record ProcessingSnapshot(string MemberId, long Processed, long Failed, IReadOnlyList<PartitionProgress> Partitions);

/// <summary>What this consumer has processed since it started.</summary>
public sealed class ProcessingStats
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), long> _lastOffsets = new();
    private long _processed;
    private long _failed;

    public void Processed(string topic, int partition, long offset)
    {
        Interlocked.Increment(ref _processed);
        _lastOffsets.AddOrUpdate((topic, partition), offset, (_, last) => Math.Max(last, offset));
    }

    public void Failed() => Interlocked.Increment(ref _failed);

    public ProcessingSnapshot Snapshot(string memberId) => new(
        memberId,
        Interlocked.Read(ref _processed),
        Interlocked.Read(ref _failed),
        [.. _lastOffsets
            .Select(entry => new PartitionProgress(entry.Key.Topic, entry.Key.Partition, entry.Value))
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)]);
}
