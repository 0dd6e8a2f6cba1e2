using System.Diagnostics;
using Confluent.Kafka;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// A producer that traces every send as a <c>send {topic}</c> span (kind Producer), puts that span's
/// context into the message headers, and records the messaging metrics. Everything else is passed
/// to the wrapped Confluent.Kafka producer as it is.
/// </summary>
public sealed class InstrumentedProducer<TKey, TValue>(IProducer<TKey, TValue> inner, KafkaClientInfo client)
    : IProducer<TKey, TValue>
{
    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(
        string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceAsync(new TopicPartition(topic, Partition.Any), message, cancellationToken);

    public async Task<DeliveryResult<TKey, TValue>> ProduceAsync(
        TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        // The span lives in this async call only; the caller's Activity.Current is left as it was.
        var send = StartSend(topicPartition.Topic, message);
        try
        {
            var result = await inner.ProduceAsync(topicPartition, message, cancellationToken).ConfigureAwait(false);
            send.Succeeded(result.TopicPartitionOffset);
            return result;
        }
        catch (ProduceException<TKey, TValue> e)
        {
            send.Failed(e.Error.Code.ToString(), e);
            throw;
        }
        catch (Exception e)
        {
            send.Failed(e.GetType().FullName!, e);
            throw;
        }
    }

    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        Produce(new TopicPartition(topic, Partition.Any), message, deliveryHandler);

    public void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null)
    {
        var callersActivity = Activity.Current;
        var send = StartSend(topicPartition.Topic, message);
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
                    send.Succeeded(report.TopicPartitionOffset);
                }

                deliveryHandler?.Invoke(report);
            });
        }
        catch (ProduceException<TKey, TValue> e)
        {
            send.Failed(e.Error.Code.ToString(), e);
            throw;
        }
        finally
        {
            // The send span ends in the delivery handler; what the caller does next is not part of it.
            Activity.Current = callersActivity;
        }
    }

    private SendOperation StartSend(string topic, Message<TKey, TValue> message)
    {
        var activity = KafkaTelemetry.ActivitySource.StartActivity($"send {topic}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
            activity.SetTag(MessagingAttributes.OperationName, MessagingAttributes.Operations.Send);
            activity.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Operations.Send);
            activity.SetTag(MessagingAttributes.DestinationName, topic);
            if (message.Key is string key)
            {
                activity.SetTag(MessagingAttributes.KafkaMessageKey, key);
            }

            activity.SetTag(MessagingAttributes.ClientId, client.ClientId);
            activity.SetTag(MessagingAttributes.ServerAddress, client.ServerAddress);
            activity.SetTag(MessagingAttributes.ServerPort, client.ServerPort);
        }

        // Without a span of our own (not sampled, no listener), still pass on the caller's context.
        var context = activity?.Context ?? Activity.Current?.Context ?? default;
        message.Headers ??= [];
        KafkaHeaderPropagation.Inject(context, message.Headers);

        return new SendOperation(activity, topic, Stopwatch.GetTimestamp());
    }

    /// <summary>One send in flight: ends its span and records its metrics once Kafka answered.</summary>
    private readonly record struct SendOperation(Activity? Activity, string Topic, long StartTimestamp)
    {
        public void Succeeded(TopicPartitionOffset acknowledged)
        {
            if (Activity is not null)
            {
                Activity.SetTag(MessagingAttributes.PartitionId, acknowledged.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Activity.SetTag(MessagingAttributes.KafkaOffset, acknowledged.Offset.Value);
                Activity.Dispose();
            }

            Record(errorType: null);
        }

        public void Failed(string errorType, Exception? exception)
        {
            if (Activity is not null)
            {
                Activity.SetStatus(ActivityStatusCode.Error, exception?.Message ?? errorType);
                Activity.SetTag(MessagingAttributes.ErrorType, errorType);
                if (exception is not null)
                {
                    Activity.AddException(exception);
                }

                Activity.Dispose();
            }

            Record(errorType);
        }

        private void Record(string? errorType)
        {
            var tags = new TagList
            {
                { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
                { MessagingAttributes.OperationName, MessagingAttributes.Operations.Send },
                { MessagingAttributes.DestinationName, Topic },
            };
            if (errorType is not null)
            {
                tags.Add(MessagingAttributes.ErrorType, errorType);
            }

            KafkaTelemetry.SentMessages.Add(1, tags);
            KafkaTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds, tags);
        }
    }

    // Everything below is Confluent.Kafka's producer, unchanged.
    public Handle Handle => inner.Handle;
    public string Name => inner.Name;
    public int AddBrokers(string brokers) => inner.AddBrokers(brokers);
    public void SetSaslCredentials(string username, string password) => inner.SetSaslCredentials(username, password);
    public int Poll(TimeSpan timeout) => inner.Poll(timeout);
    public int Flush(TimeSpan timeout) => inner.Flush(timeout);
    public void Flush(CancellationToken cancellationToken = default) => inner.Flush(cancellationToken);
    public void InitTransactions(TimeSpan timeout) => inner.InitTransactions(timeout);
    public void BeginTransaction() => inner.BeginTransaction();
    public void CommitTransaction(TimeSpan timeout) => inner.CommitTransaction(timeout);
    public void CommitTransaction() => inner.CommitTransaction();
    public void AbortTransaction(TimeSpan timeout) => inner.AbortTransaction(timeout);
    public void AbortTransaction() => inner.AbortTransaction();
    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        inner.SendOffsetsToTransaction(offsets, groupMetadata, timeout);

    public void Dispose()
    {
        KafkaClientRegistry.Forget(inner.Name);
        KafkaStatisticsMetrics.Forget(inner.Name);
        inner.Dispose();
    }
}
