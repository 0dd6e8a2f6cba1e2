using System.Collections.Concurrent;

namespace KafkaO11y.Consumer;

/// <summary>The first and last offsets this consumer processed in one partition since it started.</summary>
public sealed record PartitionProgress(string Topic, int Partition, long FirstOffset, long LastOffset);

/// <summary>Where a message is: its topic, partition and offset.</summary>
public sealed record MessagePosition(string Topic, int Partition, long Offset);

/// <summary>What <c>GET /stats</c> answers.</summary>
/// <param name="MemberId">This consumer's id in its group: with several replicas, says which one answered.</param>
/// <param name="Processed">Messages it got past successfully (a skipped duplicate included).</param>
/// <param name="Failed">Messages it dead-lettered.</param>
/// <param name="Duplicates">Messages it had already processed when they came again.</param>
/// <param name="Partitions">Per partition, the first and last offsets it got past. A partition is read in order, so while it was not handed to another member meanwhile, it got past every offset between them too.</param>
/// <param name="Current">The message it is on and has not got past yet (a slow one shows here); null between messages.</param>
public sealed record ProcessingSnapshot(string MemberId, long Processed, long Failed, long Duplicates, IReadOnlyList<PartitionProgress> Partitions, MessagePosition? Current);

/// <summary>What this consumer has processed since it started.</summary>
public sealed class ProcessingStats
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), (long First, long Last)> _offsets = new();
    private long _processed;
    private long _failed;
    private long _duplicates;
    private volatile MessagePosition? _current;

    /// <summary>The consumer took a message and has not got past it yet.</summary>
    public void Started(string topic, int partition, long offset) => _current = new MessagePosition(topic, partition, offset);

    /// <summary>A message came again after it had been processed.</summary>
    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>The consumer is past a message: processed, or (not <paramref name="succeeded"/>) dead-lettered.</summary>
    public void Passed(string topic, int partition, long offset, bool succeeded)
    {
        Interlocked.Increment(ref succeeded ? ref _processed : ref _failed);
        _offsets.AddOrUpdate((topic, partition), (offset, offset),
            (_, seen) => (Math.Min(seen.First, offset), Math.Max(seen.Last, offset)));
        _current = null;
    }

    public ProcessingSnapshot Snapshot(string memberId) => new(
        memberId,
        Interlocked.Read(ref _processed),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _duplicates),
        [.. _offsets
            .Select(entry => new PartitionProgress(entry.Key.Topic, entry.Key.Partition, entry.Value.First, entry.Value.Last))
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)],
        _current);
}
