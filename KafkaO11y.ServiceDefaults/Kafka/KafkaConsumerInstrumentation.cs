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
    public static Task ProcessAsync<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(consumed);
        ArgumentNullException.ThrowIfNull(process);

        return ProcessAsync(KafkaClientRegistry.Get(consumer), consumed, process, cancellationToken);
    }

    internal static async Task ProcessAsync<TKey, TValue>(
        KafkaClientInfo client,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken)
    {
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
            ActivityKind.Consumer, producerContext.ActivityContext, tags: null, links, name: KafkaSpanNames.Process.For(topic));
        if (activity is { IsAllDataRequested: true })
        {
            // AddTag, not SetTag: each name is added once, so no search of the tags added so far.
            activity.AddTag(MessagingAttributes.System, MessagingAttributes.KafkaSystem);
            activity.AddTag(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process);
            activity.AddTag(MessagingAttributes.OperationType, MessagingAttributes.Operations.Process);
            activity.AddTag(MessagingAttributes.DestinationName, topic);
            activity.AddTag(MessagingAttributes.PartitionId, partition);
            activity.AddTag(MessagingAttributes.KafkaOffset, consumed.Offset.Value);
            activity.AddTagIfNotNull(MessagingAttributes.KafkaMessageKey, consumed.Message.Key as string);
            activity.AddTagIfNotNull(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup);
            activity.AddClientTags(client);
        }

        // The producer's baggage is the processing's baggage. Setting it (an AsyncLocal) costs an
        // allocation each way, so only when there is baggage to set or to clear.
        var callersBaggage = Baggage.Current;
        var replaceBaggage = producerContext.Baggage.Count > 0 || callersBaggage.Count > 0;
        if (replaceBaggage)
        {
            Baggage.Current = producerContext.Baggage;
        }

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
            if (replaceBaggage)
            {
                Baggage.Current = callersBaggage;
            }
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
