using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using OpenTelemetry;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// Processing of a consumed message inside a <c>process {topic}</c> span (kind Consumer) that
/// continues the producer's trace: the span links to the context in the message headers, as the
/// messaging conventions require, and is its child, as they allow for single-message processing.
/// </summary>
/// <remarks>
/// The client's id, group and bootstrap server come from the consumer instance that
/// <c>AddKafkaConsumer</c> built: a consumer built elsewhere, or wrapped, is traced without them.
/// </remarks>
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

        var producerContext = KafkaHeaderPropagation.Extract(consumed.Message.Headers);
        ActivityLink[]? links = producerContext.ActivityContext == default ? null : [new ActivityLink(producerContext.ActivityContext)];
        using var activity = KafkaTelemetry.ActivitySource.StartActivity(
            ActivityKind.Consumer, producerContext.ActivityContext, tags: null, links, name: KafkaSpanNames.Process.For(topic));
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddOperationTags(MessagingAttributes.Operations.Process, topic, consumed.Message.Key as string, client);
            activity.AddTag(MessagingAttributes.PartitionId, partition);
            activity.AddTag(MessagingAttributes.KafkaOffset, consumed.Offset.Value);
        }

        // The producer's baggage is the processing's baggage. Setting it costs an allocation each way,
        // so only when there is baggage to set or to clear. It must be put back afterwards: OpenTelemetry
        // keeps Baggage.Current in a holder shared with the caller, so the change would flow back.
        var callersBaggage = Baggage.Current;
        var replaceBaggage = producerContext.Baggage.Count > 0 || callersBaggage.Count > 0;
        if (replaceBaggage)
        {
            Baggage.Current = producerContext.Baggage;
        }

        var metrics = KafkaProcessMetrics.Start(client, topic, partition);
        try
        {
            await process(consumed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var errorType = e.GetType().FullName!;
            activity?.RecordFailure(errorType, e);
            metrics.Failed(errorType);
            throw;
        }
        finally
        {
            if (replaceBaggage)
            {
                Baggage.Current = callersBaggage;
            }
        }

        metrics.Succeeded(consumed.Message.Timestamp);
    }
}

/// <summary>The consumer's metrics of one message: counted when its processing starts, timed when it ends.</summary>
internal readonly struct KafkaProcessMetrics
{
    private readonly TagList _tags;
    private readonly long _started;

    private KafkaProcessMetrics(TagList tags, long started) => (_tags, _started) = (tags, started);

    public static KafkaProcessMetrics Start(KafkaClientInfo client, string topic, string partition)
    {
        var tags = new TagList
        {
            { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
            { MessagingAttributes.DestinationName, topic },
            { MessagingAttributes.PartitionId, partition },
            { MessagingAttributes.ConsumerGroupName, client.ConsumerGroup },
        };
        KafkaTelemetry.ConsumedMessages.Add(1, tags);
        tags.Add(MessagingAttributes.OperationName, MessagingAttributes.Operations.Process);
        return new KafkaProcessMetrics(tags, Stopwatch.GetTimestamp());
    }

    public void Succeeded(Timestamp created)
    {
        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, _tags);

        // Kafka's CreateTime is when the producer made the message, so this spans the whole path.
        if (created.Type == TimestampType.CreateTime)
        {
            var endToEnd = DateTimeOffset.UtcNow - created.UtcDateTime;
            KafkaTelemetry.EndToEndLatency.Record(Math.Max(0, endToEnd.TotalSeconds), _tags);
        }
    }

    public void Failed(string errorType)
    {
        var tags = _tags;
        tags.Add(MessagingAttributes.ErrorType, errorType);
        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
    }
}
