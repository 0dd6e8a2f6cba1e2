using System.Collections.Concurrent;

namespace KafkaO11y.Consumer;

/// <summary>The first and last offsets this consumer processed in one partition since it started.</summary>
public sealed record PartitionProgress(string Topic, int Partition, long FirstOffset, long LastOffset);

/// <summary>What <c>GET /stats</c> answers.</summary>
/// <param name="MemberId">This consumer's id in its group: with several replicas, says which one answered.</param>
/// <param name="Processed">Messages it got past successfully (a skipped duplicate included).</param>
/// <param name="Failed">Messages it dead-lettered.</param>
/// <param name="Duplicates">Messages it had already processed when they came again.</param>
public sealed record ProcessingSnapshot(string MemberId, long Processed, long Failed, long Duplicates, IReadOnlyList<PartitionProgress> Partitions);

/// <summary>What this consumer has processed since it started.</summary>
public sealed class ProcessingStats
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), (long First, long Last)> _offsets = new();
    private long _processed;
    private long _failed;
    private long _duplicates;

    /// <summary>A message came again after it had been processed.</summary>
    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>The consumer is past a message: processed, or (not <paramref name="succeeded"/>) dead-lettered.</summary>
    public void Passed(string topic, int partition, long offset, bool succeeded)
    {
        Interlocked.Increment(ref succeeded ? ref _processed : ref _failed);
        _offsets.AddOrUpdate((topic, partition), (offset, offset),
            (_, seen) => (Math.Min(seen.First, offset), Math.Max(seen.Last, offset)));
    }

    public ProcessingSnapshot Snapshot(string memberId) => new(
        memberId,
        Interlocked.Read(ref _processed),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _duplicates),
        [.. _offsets
            .Select(entry => new PartitionProgress(entry.Key.Topic, entry.Key.Partition, entry.Value.First, entry.Value.Last))
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)]);
}
