namespace KafkaO11y.Consumer;

/// <summary>What the Consumer does with a message it has already processed.</summary>
public enum DuplicateHandling
{
    /// <summary>Count and log it, and do not do its work again (the default: at-least-once delivery, work done once within the window).</summary>
    Skip,

    /// <summary>Count and log it, and process it again (for work that is idempotent anyway).</summary>
    Process,
}

/// <summary>
/// The ids of the messages this consumer processed most recently, per partition, to recognise a
/// message Kafka delivers again (after a crash before the commit, or a rebalance) or that a producer
/// sent twice. Bounded: each partition keeps its last <see cref="Capacity"/> ids, the oldest
/// forgotten first; an id costs about 60 bytes (dictionary entry and queue slot), so the default
/// 10,000 per partition is about 0.6 MB for each partition this consumer has owned.
/// Used by the consume loop's thread only.
/// </summary>
public sealed class RecentMessages(int capacity)
{
    private readonly Dictionary<(string Topic, int Partition), Window> _partitions = [];

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "At least one id per partition.");

    /// <summary>The offset at which message <paramref name="id"/> was processed in that partition, when it is still remembered.</summary>
    public bool TryGetProcessed(string topic, int partition, Guid id, out long offset)
    {
        offset = -1;
        return _partitions.TryGetValue((topic, partition), out var window) && window.Offsets.TryGetValue(id, out offset);
    }

    /// <summary>Remembers that message <paramref name="id"/> was processed at <paramref name="offset"/>.</summary>
    public void Processed(string topic, int partition, Guid id, long offset)
    {
        if (!_partitions.TryGetValue((topic, partition), out var window))
        {
            _partitions[(topic, partition)] = window = new Window();
        }

        if (window.Offsets.TryAdd(id, offset))
        {
            window.Order.Enqueue(id);
            if (window.Order.Count > Capacity)
            {
                window.Offsets.Remove(window.Order.Dequeue());
            }
        }
    }

    /// <summary>How many ids are remembered in all, for tests and the memory figure.</summary>
    public int Count => _partitions.Values.Sum(w => w.Order.Count);

    private sealed class Window
    {
        public Dictionary<Guid, long> Offsets { get; } = [];

        public Queue<Guid> Order { get; } = new();
    }
}
