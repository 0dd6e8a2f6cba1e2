using System.Diagnostics;
using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// A producer that traces every send as a <c>send {topic}</c> span (kind Producer), puts that span's
/// context into the message headers, and records the messaging metrics. Everything else is passed
/// to the wrapped Confluent.Kafka producer as it is. Once disposed, its librdkafka statistics
/// (<paramref name="statistics"/>) stop being reported.
/// </summary>
public sealed class InstrumentedProducer<TKey, TValue>(IProducer<TKey, TValue> inner, KafkaClientInfo client, KafkaStatisticsMetrics? statistics = null)
    : IProducer<TKey, TValue>
{
    /// <summary>What the traces need of the client that Kafka's client API does not tell (without a call into librdkafka per message).</summary>
    public KafkaClientInfo Client { get; } = client;

    private readonly KafkaClusterId _clusterId = new(inner);

    /// <summary>Sends a message in a <c>send {topic}</c> span that ends when Kafka acknowledges it.</summary>
    /// <inheritdoc/>
    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(
        string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceAsync(new TopicPartition(topic, Partition.Any), message, cancellationToken);

    /// <inheritdoc/>
    public async Task<DeliveryResult<TKey, TValue>> ProduceAsync(
        TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        // The span lives in this async call only; the caller's Activity.Current is left as it was.
        var send = KafkaProducerInstrumentation.StartSend(Client, topicPartition.Topic, message);
        try
        {
            var result = await inner.ProduceAsync(topicPartition, message, cancellationToken).ConfigureAwait(false);
            send.Succeeded(result.TopicPartitionOffset, _clusterId);
            return result;
        }
        catch (Exception e)
        {
            send.Failed(ErrorType(e), e);
            throw;
        }
    }

    /// <inheritdoc/>
    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        Produce(new TopicPartition(topic, Partition.Any), message, deliveryHandler);

    /// <inheritdoc/>
    public void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null)
    {
        var callersActivity = Activity.Current;
        var send = KafkaProducerInstrumentation.StartSend(Client, topicPartition.Topic, message);
        try
        {
            inner.Produce(topicPartition, message, report =>
            {
                if (report.Error.IsError)
                {
                    send.Failed(report.Error.Code.ToString(), exception: null);
                }
                else
                {
                    send.Succeeded(report.TopicPartitionOffset, _clusterId);
                }

                deliveryHandler?.Invoke(report);
            });
        }
        catch (Exception e)
        {
            // Not only ProduceException: a disposed or fatally failed client throws others, and the
            // span must end either way.
            send.Failed(ErrorType(e), e);
            throw;
        }
        finally
        {
            // The send span ends in the delivery handler; what the caller does next is not part of it.
            Activity.Current = callersActivity;
        }
    }

    /// <summary>Kafka's error code when Kafka refused the message; otherwise the exception's type.</summary>
    private static string ErrorType(Exception exception) =>
        exception is ProduceException<TKey, TValue> produce ? produce.Error.Code.ToString() : exception.GetType().FullName!;

    // Everything below is Confluent.Kafka's producer, unchanged.
    /// <inheritdoc/>
    public Handle Handle => inner.Handle;
    /// <inheritdoc/>
    public string Name => inner.Name;
    /// <inheritdoc/>
    public int AddBrokers(string brokers) => inner.AddBrokers(brokers);
    /// <inheritdoc/>
    public void SetSaslCredentials(string username, string password) => inner.SetSaslCredentials(username, password);
    /// <inheritdoc/>
    public int Poll(TimeSpan timeout) => inner.Poll(timeout);
    /// <inheritdoc/>
    public int Flush(TimeSpan timeout) => inner.Flush(timeout);
    /// <inheritdoc/>
    public void Flush(CancellationToken cancellationToken = default) => inner.Flush(cancellationToken);
    /// <inheritdoc/>
    public void InitTransactions(TimeSpan timeout) => inner.InitTransactions(timeout);
    /// <inheritdoc/>
    public void BeginTransaction() => inner.BeginTransaction();
    /// <inheritdoc/>
    public void CommitTransaction(TimeSpan timeout) => inner.CommitTransaction(timeout);
    /// <inheritdoc/>
    public void CommitTransaction() => inner.CommitTransaction();
    /// <inheritdoc/>
    public void AbortTransaction(TimeSpan timeout) => inner.AbortTransaction(timeout);
    /// <inheritdoc/>
    public void AbortTransaction() => inner.AbortTransaction();
    /// <inheritdoc/>
    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        inner.SendOffsetsToTransaction(offsets, groupMetadata, timeout);

    /// <summary>Destroys the client and stops reporting its statistics.</summary>
    public void Dispose()
    {
        statistics?.Forget(inner.Name);
        inner.Dispose();
    }
}
