using System.Diagnostics;
using Confluent.Kafka;
using OpenTelemetry;

namespace KafkaO11y.Kafka;

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

        var client = consumer is InstrumentedConsumer<TKey, TValue> instrumented ? instrumented.Client : KafkaClientInfo.Unknown;
        return ProcessAsync(client, consumed, process, cancellationToken);
    }

    internal static async Task ProcessAsync<TKey, TValue>(
        KafkaClientInfo client,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken)
    {
        var partition = KafkaProcessPartition.For(consumed.Topic, consumed.Partition.Value, client.ConsumerGroup);
        partition.Consumed.Add();

        // The link is added once the span is known to be recorded: an unsampled message pays for no
        // link (the sampler does not see it; the parent-based and ratio samplers never look at links).
        var producerContext = KafkaHeaderPropagation.Extract(consumed.Message.Headers);
        using var activity = KafkaTelemetry.ActivitySource.StartActivity(partition.SpanName, ActivityKind.Consumer, producerContext.ActivityContext);
        if (activity is { IsAllDataRequested: true })
        {
            if (producerContext.ActivityContext != default)
            {
                activity.AddLink(new ActivityLink(producerContext.ActivityContext));
            }

            activity.AddOperationTags(MessagingAttributes.Operations.Process, partition.Topic, consumed.Message.Key as string, client);
            activity.AddTag(MessagingAttributes.PartitionId, partition.PartitionId);
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

        var started = Stopwatch.GetTimestamp();
        try
        {
            await process(consumed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var errorType = e.GetType().FullName!;
            activity?.RecordFailure(errorType, e);
            KafkaProcessMetrics.Failed(partition, started, errorType);
            throw;
        }
        finally
        {
            if (replaceBaggage)
            {
                Baggage.Current = callersBaggage;
            }
        }

        KafkaProcessMetrics.Succeeded(partition, started, consumed.Message.Timestamp);
    }
}

/// <summary>The consumer's histograms of one message, recorded when its processing ends (the count is taken as it starts).</summary>
internal static class KafkaProcessMetrics
{
    public static void Succeeded(KafkaProcessPartition partition, long started, Timestamp created)
    {
        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, partition.ProcessTags);

        // Kafka's CreateTime is when the producer made the message, so this spans the whole path.
        if (created.Type == TimestampType.CreateTime)
        {
            var endToEnd = DateTimeOffset.UtcNow - created.UtcDateTime;
            KafkaTelemetry.EndToEndLatency.Record(Math.Max(0, endToEnd.TotalSeconds), partition.ProcessTags);
        }
    }

    public static void Failed(KafkaProcessPartition partition, long started, string errorType)
    {
        var tags = new TagList(partition.ProcessTags) { { MessagingAttributes.ErrorType, errorType } };
        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }
}
