using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.Benchmarks;

/// <summary>What each variant does per message, the same in every measurement (docs/performance.md, Method).</summary>
internal static class VariantWork
{
    /// <summary>A message to produce; the propagation-only variant's carries one <c>traceparent</c> header.</summary>
    public static Message<string, byte[]> NewMessage(Variant variant, string key, byte[] value)
    {
        var message = new Message<string, byte[]> { Key = key, Value = value };
        if (variant.Kind == VariantKind.PropagationOnly)
        {
            message.Headers = [];
            KafkaHeaderPropagation.Inject(Traceparent.FixedContext, message.Headers);
        }

        return message;
    }

    /// <summary>
    /// Every partition of <paramref name="topic"/>, assigned rather than subscribed (the embedded broker
    /// holds a new group's first join for about 3 s); Offset.Unset: a new group has no committed
    /// offset, so auto.offset.reset=earliest applies.
    /// </summary>
    public static void AssignAll(this IConsumer<string, byte[]> consumer, KafkaTopic topic) =>
        consumer.Assign(Enumerable.Range(0, topic.Partitions).Select(partition => new TopicPartitionOffset(topic.Name, partition, Offset.Unset)));
}

/// <summary>What a variant does with a consumed message before its offset is stored.</summary>
internal sealed class VariantHandler(IConsumer<string, byte[]> consumer, Variant variant)
{
    private static readonly Func<ConsumeResult<string, byte[]>, CancellationToken, Task> EmptyHandler =
        static (_, _) => Task.CompletedTask;

    private static readonly Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> EmptyBatchHandler =
        static (_, _) => Task.CompletedTask;

    /// <summary>Propagation only: messages whose headers yielded a trace context.</summary>
    public int WithContext { get; private set; }

    // Not async: the measured path gains no state machine.
    public Task HandleAsync(ConsumeResult<string, byte[]> consumed, CancellationToken cancellationToken = default)
    {
        switch (variant.Kind)
        {
            case VariantKind.PropagationOnly:
                if (KafkaHeaderPropagation.Extract(consumed.Message.Headers).ActivityContext.TraceId != default)
                {
                    WithContext++;
                }

                return Task.CompletedTask;
            case VariantKind.Full:
                return consumer.ProcessAsync(consumed, EmptyHandler, cancellationToken);
            default:
                return Task.CompletedTask;
        }
    }

    /// <summary>The same for a list of messages: processed as one batch by the full variant, one by one by the others.</summary>
    public Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken cancellationToken = default)
    {
        if (variant.Kind == VariantKind.Full)
        {
            return consumer.ProcessBatchAsync(batch, EmptyBatchHandler, cancellationToken);
        }

        foreach (var consumed in batch)
        {
            // Synchronous for these variants: the task is already complete.
            _ = HandleAsync(consumed, cancellationToken);
        }

        return Task.CompletedTask;
    }
}
