using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using OpenTelemetry;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// Processing of a consumed message inside a <c>process {topic}</c> span (kind Consumer) that
/// continues the producer's trace: the span is a child of the context in the message headers and
/// also links to it, as the messaging conventions allow for single-message processing.
/// </summary>
public static class KafkaConsumerInstrumentation
{
    public static async Task ProcessAsync<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(consumed);
        ArgumentNullException.ThrowIfNull(process);

        var client = KafkaClientRegistry.Get(consumer.Name);
        var topic = consumed.Topic;
        var partition = consumed.Partition.Value.ToString(CultureInfo.InvariantCulture);

        var metricTags = new TagList
        {
            { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
            { MessagingAttributes.DestinationName, topic },
            { MessagingAttributes.PartitionId, partition },
            { MessagingAttributes.ConsumerGroupName, client.ConsumerGroup },
        };
        KafkaTelemetry.ConsumedMessages.Add(1, metricTags);
        metricTags.Add(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process);

        var producerContext = KafkaHeaderPropagation.Extract(consumed.Message.Headers);
        ActivityLink[]? links = producerContext.ActivityContext == default ? null : [new ActivityLink(producerContext.ActivityContext)];
        using var activity = KafkaTelemetry.ActivitySource.StartActivity(
            ActivityKind.Consumer, producerContext.ActivityContext, tags: null, links, name: $"process {topic}");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
            activity.SetTag(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process);
            activity.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Operations.Process);
            activity.SetTag(MessagingAttributes.DestinationName, topic);
            activity.SetTag(MessagingAttributes.PartitionId, partition);
            activity.SetTag(MessagingAttributes.KafkaOffset, consumed.Offset.Value);
            if (consumed.Message.Key is string key)
            {
                activity.SetTag(MessagingAttributes.KafkaMessageKey, key);
            }

            activity.SetTag(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup);
            activity.SetTag(MessagingAttributes.ClientId, client.ClientId);
            activity.SetTag(MessagingAttributes.ServerAddress, client.ServerAddress);
            activity.SetTag(MessagingAttributes.ServerPort, client.ServerPort);
        }

        // The producer's baggage is the processing's baggage.
        var callersBaggage = Baggage.Current;
        Baggage.Current = producerContext.Baggage;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await process(consumed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var errorType = e.GetType().FullName!;
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            activity?.SetTag(MessagingAttributes.ErrorType, errorType);
            activity?.AddException(e);
            metricTags.Add(MessagingAttributes.ErrorType, errorType);
            KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, metricTags);
            throw;
        }
        finally
        {
            Baggage.Current = callersBaggage;
        }

        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, metricTags);

        // Kafka's CreateTime is when the producer made the message, so this spans the whole path.
        if (consumed.Message.Timestamp.Type == TimestampType.CreateTime)
        {
            var endToEnd = DateTimeOffset.UtcNow - consumed.Message.Timestamp.UtcDateTime;
            KafkaTelemetry.EndToEndLatency.Record(Math.Max(0, endToEnd.TotalSeconds), metricTags);
        }
    }
}
