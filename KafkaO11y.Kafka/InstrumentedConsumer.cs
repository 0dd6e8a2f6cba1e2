using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// The consumer <c>AddKafkaConsumer</c> registers: Confluent.Kafka's consumer, whose librdkafka
/// statistics stop being reported once it is closed or disposed (a consumer that has left its group
/// must not go on showing lag), as <see cref="InstrumentedProducer{TKey,TValue}"/> does for a
/// producer. Its messages are traced by <see cref="KafkaConsumerInstrumentation.ProcessAsync"/>.
/// </summary>
public sealed class InstrumentedConsumer<TKey, TValue>(IConsumer<TKey, TValue> inner, KafkaClientInfo client, KafkaStatisticsMetrics? statistics = null)
    : IConsumer<TKey, TValue>
{
    /// <summary>What the traces need of the client that Kafka's client API does not tell (without a call into librdkafka per message).</summary>
    public KafkaClientInfo Client { get; } = client;

    // Read now: a consumer's name is gone once Close() destroyed its handle.
    private readonly string _name = inner.Name;

    public void Close()
    {
        inner.Close();
        statistics?.Forget(_name);
    }

    public void Dispose()
    {
        inner.Dispose();
        statistics?.Forget(_name);
    }

    // Everything below is Confluent.Kafka's consumer, unchanged.
    public Handle Handle => inner.Handle;
    public string Name => inner.Name;
    public int AddBrokers(string brokers) => inner.AddBrokers(brokers);
    public void SetSaslCredentials(string username, string password) => inner.SetSaslCredentials(username, password);
    public ConsumeResult<TKey, TValue> Consume(int millisecondsTimeout) => inner.Consume(millisecondsTimeout);
    public ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default) => inner.Consume(cancellationToken);
    public ConsumeResult<TKey, TValue> Consume(TimeSpan timeout) => inner.Consume(timeout);
    public string MemberId => inner.MemberId;
    public List<TopicPartition> Assignment => inner.Assignment;
    public List<string> Subscription => inner.Subscription;
    public IConsumerGroupMetadata ConsumerGroupMetadata => inner.ConsumerGroupMetadata;
    public void Subscribe(IEnumerable<string> topics) => inner.Subscribe(topics);
    public void Subscribe(string topic) => inner.Subscribe(topic);
    public void Unsubscribe() => inner.Unsubscribe();
    public void Assign(TopicPartition partition) => inner.Assign(partition);
    public void Assign(TopicPartitionOffset partition) => inner.Assign(partition);
    public void Assign(IEnumerable<TopicPartitionOffset> partitions) => inner.Assign(partitions);
    public void Assign(IEnumerable<TopicPartition> partitions) => inner.Assign(partitions);
    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions) => inner.IncrementalAssign(partitions);
    public void IncrementalAssign(IEnumerable<TopicPartition> partitions) => inner.IncrementalAssign(partitions);
    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions) => inner.IncrementalUnassign(partitions);
    public void Unassign() => inner.Unassign();
    public void StoreOffset(ConsumeResult<TKey, TValue> result) => inner.StoreOffset(result);
    public void StoreOffset(TopicPartitionOffset offset) => inner.StoreOffset(offset);
    public List<TopicPartitionOffset> Commit() => inner.Commit();
    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => inner.Commit(offsets);
    public void Commit(ConsumeResult<TKey, TValue> result) => inner.Commit(result);
    public void Seek(TopicPartitionOffset tpo) => inner.Seek(tpo);
    public void Pause(IEnumerable<TopicPartition> partitions) => inner.Pause(partitions);
    public void Resume(IEnumerable<TopicPartition> partitions) => inner.Resume(partitions);
    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => inner.Committed(timeout);
    public List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) => inner.Committed(partitions, timeout);
    public Offset Position(TopicPartition partition) => inner.Position(partition);
    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout) =>
        inner.OffsetsForTimes(timestampsToSearch, timeout);
    public WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition) => inner.GetWatermarkOffsets(topicPartition);
    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout) => inner.QueryWatermarkOffsets(topicPartition, timeout);
}
