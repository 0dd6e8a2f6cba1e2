using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// The consumer <c>AddInstrumentedKafkaConsumer</c> registers: Confluent.Kafka's consumer, whose librdkafka
/// statistics stop being reported once it is closed or disposed (a consumer that has left its group
/// must not go on showing lag), as <see cref="InstrumentedProducer{TKey,TValue}"/> does for a
/// producer. Its messages are traced by <c>ProcessAsync</c> (<see cref="KafkaConsumerInstrumentation"/>).
/// </summary>
public sealed class InstrumentedConsumer<TKey, TValue>(
    IConsumer<TKey, TValue> inner,
    KafkaClientInfo client,
    KafkaStatisticsMetrics? statistics = null,
    KafkaTraceShape traceShape = KafkaTraceShape.ContinueProducerTrace)
    : IConsumer<TKey, TValue>
{
    /// <summary>What the traces need of the client that Kafka's client API does not tell (without a call into librdkafka per message).</summary>
    public KafkaClientInfo Client { get; } = client;

    /// <summary>Where the process spans of this consumer's messages sit.</summary>
    public KafkaTraceShape TraceShape { get; } = traceShape;

    /// <summary>The cluster's id, once a broker told it.</summary>
    internal KafkaClusterId ClusterId { get; } = new(inner);

    // Read now: a consumer's name is gone once Close() destroyed its handle.
    private readonly string _name = inner.Name;

    /// <summary>Commits what was stored, leaves the group, and stops reporting the client's statistics.</summary>
    public void Close()
    {
        inner.Close();
        statistics?.Forget(_name);
    }

    /// <summary>Destroys the client and stops reporting its statistics.</summary>
    public void Dispose()
    {
        inner.Dispose();
        statistics?.Forget(_name);
    }

    // Everything below is Confluent.Kafka's consumer, unchanged.
    /// <inheritdoc/>
    public Handle Handle => inner.Handle;
    /// <inheritdoc/>
    public string Name => inner.Name;
    /// <inheritdoc/>
    public int AddBrokers(string brokers) => inner.AddBrokers(brokers);
    /// <inheritdoc/>
    public void SetSaslCredentials(string username, string password) => inner.SetSaslCredentials(username, password);
    /// <inheritdoc/>
    public ConsumeResult<TKey, TValue> Consume(int millisecondsTimeout) => inner.Consume(millisecondsTimeout);
    /// <inheritdoc/>
    public ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default) => inner.Consume(cancellationToken);
    /// <inheritdoc/>
    public ConsumeResult<TKey, TValue> Consume(TimeSpan timeout) => inner.Consume(timeout);
    /// <inheritdoc/>
    public string MemberId => inner.MemberId;
    /// <inheritdoc/>
    public List<TopicPartition> Assignment => inner.Assignment;
    /// <inheritdoc/>
    public List<string> Subscription => inner.Subscription;
    /// <inheritdoc/>
    public IConsumerGroupMetadata ConsumerGroupMetadata => inner.ConsumerGroupMetadata;
    /// <inheritdoc/>
    public void Subscribe(IEnumerable<string> topics) => inner.Subscribe(topics);
    /// <inheritdoc/>
    public void Subscribe(string topic) => inner.Subscribe(topic);
    /// <inheritdoc/>
    public void Unsubscribe() => inner.Unsubscribe();
    /// <inheritdoc/>
    public void Assign(TopicPartition partition) => inner.Assign(partition);
    /// <inheritdoc/>
    public void Assign(TopicPartitionOffset partition) => inner.Assign(partition);
    /// <inheritdoc/>
    public void Assign(IEnumerable<TopicPartitionOffset> partitions) => inner.Assign(partitions);
    /// <inheritdoc/>
    public void Assign(IEnumerable<TopicPartition> partitions) => inner.Assign(partitions);
    /// <inheritdoc/>
    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions) => inner.IncrementalAssign(partitions);
    /// <inheritdoc/>
    public void IncrementalAssign(IEnumerable<TopicPartition> partitions) => inner.IncrementalAssign(partitions);
    /// <inheritdoc/>
    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions) => inner.IncrementalUnassign(partitions);
    /// <inheritdoc/>
    public void Unassign() => inner.Unassign();
    /// <inheritdoc/>
    public void StoreOffset(ConsumeResult<TKey, TValue> result) => inner.StoreOffset(result);
    /// <inheritdoc/>
    public void StoreOffset(TopicPartitionOffset offset) => inner.StoreOffset(offset);
    /// <inheritdoc/>
    public List<TopicPartitionOffset> Commit() => inner.Commit();
    /// <inheritdoc/>
    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => inner.Commit(offsets);
    /// <inheritdoc/>
    public void Commit(ConsumeResult<TKey, TValue> result) => inner.Commit(result);
    /// <inheritdoc/>
    public void Seek(TopicPartitionOffset tpo) => inner.Seek(tpo);
    /// <inheritdoc/>
    public void Pause(IEnumerable<TopicPartition> partitions) => inner.Pause(partitions);
    /// <inheritdoc/>
    public void Resume(IEnumerable<TopicPartition> partitions) => inner.Resume(partitions);
    /// <inheritdoc/>
    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => inner.Committed(timeout);
    /// <inheritdoc/>
    public List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) => inner.Committed(partitions, timeout);
    /// <inheritdoc/>
    public Offset Position(TopicPartition partition) => inner.Position(partition);
    /// <inheritdoc/>
    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout) =>
        inner.OffsetsForTimes(timestampsToSearch, timeout);
    /// <inheritdoc/>
    public WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition) => inner.GetWatermarkOffsets(topicPartition);
    /// <inheritdoc/>
    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout) => inner.QueryWatermarkOffsets(topicPartition, timeout);
}
