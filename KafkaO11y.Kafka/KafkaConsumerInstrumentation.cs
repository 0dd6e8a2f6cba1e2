using System.Diagnostics;
using Confluent.Kafka;
using OpenTelemetry;

namespace KafkaO11y.Kafka;

/// <summary>
/// Processing of a consumed message inside a <c>process {topic}</c> span (kind Consumer) that links
/// to the producer's context in the message headers, as the messaging conventions ask, and by
/// default is its child, as they allow for a single message (<see cref="KafkaTraceShape"/>).
/// </summary>
/// <remarks>
/// The client's id, group and bootstrap server come from the consumer instance that
/// <c>AddInstrumentedKafkaConsumer</c> built: a consumer built elsewhere, or wrapped, is traced without them.
/// </remarks>
public static class KafkaConsumerInstrumentation
{
    /// <summary>
    /// Runs <paramref name="process"/> on <paramref name="consumed"/> inside a <c>process {topic}</c>
    /// span shaped as the consumer's <see cref="InstrumentedConsumer{TKey,TValue}.TraceShape"/> says,
    /// with the producer's baggage as <c>Baggage.Current</c>, and records the message's metrics. An
    /// exception from <paramref name="process"/> marks the span failed and is thrown on.
    /// </summary>
    /// <param name="consumer">The consumer that consumed the message; one <c>AddInstrumentedKafkaConsumer</c> built gives the spans its client id, group and server.</param>
    /// <param name="consumed">The message.</param>
    /// <param name="process">The handler.</param>
    /// <param name="cancellationToken">Passed to the handler.</param>
    public static Task ProcessAsync<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(consumed);
        ArgumentNullException.ThrowIfNull(process);

        return consumer is InstrumentedConsumer<TKey, TValue> instrumented
            ? ProcessAsync(instrumented.Client, instrumented.TraceShape, instrumented.ClusterId, consumed, process, cancellationToken)
            : ProcessAsync(KafkaClientInfo.Unknown, KafkaTraceShape.ContinueProducerTrace, cluster: null, consumed, process, cancellationToken);
    }

    internal static async Task ProcessAsync<TKey, TValue>(
        KafkaClientInfo client,
        KafkaTraceShape shape,
        KafkaClusterId? cluster,
        ConsumeResult<TKey, TValue> consumed,
        Func<ConsumeResult<TKey, TValue>, CancellationToken, Task> process,
        CancellationToken cancellationToken)
    {
        var partition = KafkaProcessPartition.For(consumed.Topic, consumed.Partition.Value, client.ConsumerGroup);
        partition.Consumed.Add();

        // The link is added once the span is known to be recorded: an unsampled message pays for no
        // link (the sampler does not see it; the parent-based and ratio samplers never look at links).
        var propagated = KafkaHeaderPropagation.Extract(consumed.Message.Headers);
        var producerContext = propagated.ActivityContext;
        var current = Activity.Current;
        // Without a parent given, the span is the current span's child, or a new trace's root.
        var parent = shape == KafkaTraceShape.ContinueProducerTrace ? producerContext : default;
        using var activity = KafkaTelemetry.ActivitySource.StartActivity(
            partition.SpanName, ActivityKind.Consumer, parent, tags: partition.StartTags.For(client));
        if (activity is { IsAllDataRequested: true })
        {
            if (producerContext != default)
            {
                activity.AddLink(new ActivityLink(producerContext));

                // A span that was current, but is not the parent, is linked so as not to be lost.
                if (parent != default && current is not null)
                {
                    activity.AddLink(new ActivityLink(current.Context));
                }
            }

            activity.AddRecordedSpanTags(consumed.Message.Key as string, consumed.Message.Value is null, client);
            activity.AddTag(MessagingAttributes.KafkaOffset, consumed.Offset.Value);
            activity.AddTagIfNotNull(MessagingAttributes.KafkaClusterId, cluster?.Id);
        }

        // The producer's baggage is the processing's baggage. Setting it costs an allocation each way,
        // so only when there is baggage to set or to clear. It must be put back afterwards: OpenTelemetry
        // keeps Baggage.Current in a holder shared with the caller, so the change would flow back.
        var callersBaggage = Baggage.Current;
        var replaceBaggage = propagated.Baggage.Count > 0 || callersBaggage.Count > 0;
        if (replaceBaggage)
        {
            Baggage.Current = propagated.Baggage;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await process(consumed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            KafkaProcessMetrics.Failed(activity, partition.ProcessTags, started, e);
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
        Processed(partition, created, DateTime.UtcNow);
    }

    /// <summary>The end-to-end latency of one message processed at <paramref name="processedAt"/> (UTC; a batch reads the clock once).</summary>
    public static void Processed(KafkaProcessPartition partition, Timestamp created, DateTime processedAt)
    {
        // Kafka's CreateTime is when the producer made the message, so this spans the whole path.
        if (created.Type == TimestampType.CreateTime)
        {
            var endToEnd = processedAt - created.UtcDateTime;
            KafkaTelemetry.EndToEndLatency.Record(Math.Max(0, endToEnd.TotalSeconds), partition.ProcessTags);
        }
    }

    /// <summary>Processing that threw: the span (if any) failed with the exception, the duration recorded with its type.</summary>
    public static void Failed(Activity? activity, ReadOnlySpan<KeyValuePair<string, object?>> processTags, long started, Exception exception)
    {
        var errorType = exception.GetType().FullName!;
        activity?.RecordFailure(errorType, exception);
        var tags = new TagList(processTags) { { MessagingAttributes.ErrorType, errorType } };
        KafkaTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }
}
