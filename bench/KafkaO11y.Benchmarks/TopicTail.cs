using System.Text;
using Confluent.Kafka;
using KafkaO11y.Contracts;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// Follows a topic and its dead-letter topic from the beginning while the soak runs, keeping every
/// record's key by partition and offset: the embedded broker deletes old records after about a
/// minute of load, so they cannot all be read at the end.
/// </summary>
internal sealed class TopicTail : IDisposable
{
    private readonly IConsumer<string, Ignore> _reader;
    private readonly int _partitions;
    private readonly string _topic;
    private readonly string _deadLetterTopic;
    private readonly TailRecords _records = new();
    private readonly TailRecords _deadLetters = new();

    public TopicTail(string bootstrapServers, int partitions, string topic, string deadLetterTopic)
    {
        _partitions = partitions;
        _topic = topic;
        _deadLetterTopic = deadLetterTopic;
        _reader = new ConsumerBuilder<string, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"soak-tail-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            // Kept up with the broker's own pace, as the Consumer is.
            FetchWaitMaxMs = 10,
            // When its position is refused (after a leader change the client may find its offset
            // out of range), start again from the oldest record, never jump to the newest.
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        _reader.Assign(new[] { topic, deadLetterTopic }
            .SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(t, p, Offset.Beginning))));
    }

    /// <summary>Reads until cancelled.</summary>
    public void Follow(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (_reader.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                Keep(record);
            }
        }
    }

    /// <summary>Reads both topics up to their ends as they are now; returns every record kept.</summary>
    public (TailRecords Topic, TailRecords DeadLetters) ReadToEnd()
    {
        var ends = new[] { _topic, _deadLetterTopic }
            .SelectMany(t => Enumerable.Range(0, _partitions).Select(p => new TopicPartition(t, p)))
            .ToDictionary(tp => tp, tp => _reader.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(30)).High.Value);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (ends.Any(end => Position(end.Key) < end.Value))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new BenchmarkFailedException("could not read the topics to their end within a minute");
            }

            if (_reader.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                Keep(record);
            }
        }

        return (_records, _deadLetters);
    }

    private long Position(TopicPartition partition) =>
        _reader.Position(partition) is { IsSpecial: false } position ? position.Value : 0;

    private void Keep(ConsumeResult<string, Ignore> record)
    {
        if (record.Topic == _topic)
        {
            _records.Add(record.Partition.Value, record.Offset.Value, record.Message.Key);
        }
        else
        {
            // A dead letter is known by where its message came from.
            _deadLetters.Add(record.Partition.Value, record.Offset.Value, $"{Header(record, DeadLetterHeaders.SourcePartition)}/{Header(record, DeadLetterHeaders.SourceOffset)}");
        }
    }

    private static string? Header(ConsumeResult<string, Ignore> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    public void Dispose() => _reader.Dispose();
}

/// <summary>Records of one topic: the key at each partition and offset, and how many times each key came.</summary>
internal sealed class TailRecords
{
    public Dictionary<(int Partition, long Offset), string> ByPosition { get; } = [];

    public Dictionary<string, int> Count { get; } = [];

    /// <summary>
    /// Offsets below a partition's highest one read that were never read (deleted before the tail got
    /// to them). The topic is new, so its offsets start at 0, and without transactions they have no gaps.
    /// </summary>
    public long Unread => ByPosition.Keys.GroupBy(position => position.Partition)
        .Sum(partition => partition.Max(p => p.Offset) + 1 - partition.Count());

    public void Add(int partition, long offset, string key)
    {
        if (ByPosition.TryAdd((partition, offset), key))
        {
            Count[key] = Count.GetValueOrDefault(key) + 1;
        }
    }
}
