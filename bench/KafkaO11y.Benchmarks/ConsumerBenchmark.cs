using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.Benchmarks;

/// <summary>One measurement: how fast a variant's consumer, in a fresh group, goes through pre-produced messages.</summary>
internal static class ConsumerBenchmark
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Take every partition of the topic in a new group (so from the earliest offsets), then consume,
    /// handle and StoreOffset each message as the Consumer service does, one at a time or, with a
    /// <paramref name="batchSize"/> above 1, in lists of that many (the last one may be shorter). The
    /// clock runs from the first message consumed to the last one handled.
    /// </summary>
    /// <remarks>
    /// The partitions are assigned rather than subscribed to: the embedded broker holds a new group's
    /// first join for about 3 s, which would triple the run's length and measure nothing (the clock
    /// starts after it either way). Consuming, storing offsets and auto-commit work the same.
    /// </remarks>
    public static async Task<Measurement> RunAsync(Variant variant, string bootstrapServers, KafkaO11y.EmbeddedKafka.KafkaTopic topic, int count, string groupId, int batchSize = 1)
    {
        using var client = KafkaClients.Consumer(variant, bootstrapServers, groupId);
        var consumer = client.Instance;
        consumer.AssignAll(topic);
        var handler = new VariantHandler(consumer, variant);

        var waited = Stopwatch.StartNew();
        var handled = 0;
        var batch = new List<ConsumeResult<string, byte[]>>(batchSize);
        var clock = default(MeasurementClock);
        while (handled < count)
        {
            var consumed = consumer.Consume(PollTimeout);
            if (consumed is null)
            {
                if (waited.Elapsed > Timeout)
                {
                    throw new TimeoutException($"Consumed {handled} of {count} messages from {topic.Name} in {Timeout.TotalSeconds} s.");
                }

                continue;
            }

            if (handled == 0)
            {
                clock = MeasurementClock.Start();
            }

            if (batchSize == 1)
            {
                await handler.HandleAsync(consumed);
                consumer.StoreOffset(consumed);
                handled++;
                continue;
            }

            batch.Add(consumed);
            if (batch.Count == batchSize || handled + batch.Count == count)
            {
                await handler.HandleBatchAsync(batch);
                foreach (var message in batch)
                {
                    consumer.StoreOffset(message);
                }

                handled += batch.Count;
                batch = new List<ConsumeResult<string, byte[]>>(batchSize);
            }
        }

        // The first message starts the clock: count - 1 messages were handled while it ran.
        var measurement = clock.Stop(count, messagesTimed: count - 1, queueFullBackoffs: 0,
            spansStarted: variant.IsInstrumented ? (count + batchSize - 1) / batchSize : 0);
        consumer.Close();

        if (variant == Variant.PropagationOnly && handler.WithContext != count)
        {
            throw new InvalidOperationException($"Only {handler.WithContext} of {count} messages carried a trace context.");
        }

        return measurement;
    }
}
