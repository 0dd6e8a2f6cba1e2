using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.AppHost.EmbeddedKafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// Producer and consumer throughput at saturation, 100 B and 1 KiB values, every variant once per
/// round in a rotating order, on an embedded broker in this process. The method: docs/performance.md.
/// </summary>
internal static class ThroughputBenchmark
{
    private static readonly int[] ValueSizes = [100, 1024];

    /// <returns>The report (Markdown).</returns>
    public static async Task<string> RunAsync(BenchmarkOptions options, BenchmarkTelemetry telemetry)
    {
        var wallClock = Stopwatch.StartNew();

        // Producers write to 3 partitions, like the app's topic. The mock cluster keeps at most 5 MiB per
        // partition (it drops the oldest batches beyond), so the consumers' topics get enough partitions to
        // hold every pre-produced message.
        var consumeTopics = ValueSizes.ToDictionary(size => size, size => new KafkaTopic($"bench-consume-{size}b", ConsumeTopicPartitions(size, options.Messages)));
        var produceTopics = ValueSizes.ToDictionary(size => size, size => new KafkaTopic($"bench-produce-{size}b", 3));
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [.. produceTopics.Values, .. consumeTopics.Values]);

        var values = ValueSizes.ToDictionary(size => size, size => Enumerable.Range(0, size).Select(i => (byte)('a' + i % 26)).ToArray());
        var keys = MessageKeys.Create();

        Console.Error.WriteLine($"Throughput. Embedded Kafka at {kafka.BootstrapServers}; {options.Rounds} round(s) of {options.Messages:N0} messages, after a warm-up round of {options.WarmupMessages:N0}.");
        foreach (var size in ValueSizes)
        {
            var topic = consumeTopics[size];
            Console.Error.WriteLine($"Pre-producing {options.Messages:N0} messages of {size} B with a traceparent header into {topic.Name} ({topic.Partitions} partitions)...");
            ProducerBenchmark.PreProduce(kafka.BootstrapServers, topic.Name, values[size], keys, options.Messages);
            VerifyRetained(kafka.BootstrapServers, topic, options.Messages);
        }

        var results = new Results();
        for (var round = 0; round <= options.Rounds; round++)
        {
            // Round 0 warms up (JIT, tiered compilation, connections) and is not reported.
            var warmup = round == 0;
            var count = warmup ? options.WarmupMessages : options.Messages;
            var label = warmup ? "warm-up" : $"round {round}/{options.Rounds}";
            foreach (var operation in new[] { Operation.Produce, Operation.Consume })
            {
                foreach (var size in ValueSizes)
                {
                    foreach (var variant in VariantNames.InOrderOfRound(round))
                    {
                        telemetry.Settle();
                        var spansBefore = telemetry.Spans.Exported;
                        var measurementWallClock = Stopwatch.StartNew();
                        var measurement = operation == Operation.Produce
                            ? ProducerBenchmark.Run(variant, kafka.BootstrapServers, produceTopics[size].Name, values[size], keys, count)
                            : await ConsumerBenchmark.RunAsync(variant, kafka.BootstrapServers, consumeTopics[size], count,
                                groupId: $"bench-{variant}-{size}b-{round}-{Guid.NewGuid():N}");
                        telemetry.Flush();
                        measurement = measurement with { ExportedSpans = telemetry.Spans.Exported - spansBefore };
                        // The batch processor may drop some spans at saturation (its queue is 2,048), not most:
                        // a full variant without its spans, or another variant with some, is not what it claims.
                        if (variant == Variant.Full ? measurement.ExportedSpans < measurement.ExpectedSpans / 2 : measurement.ExportedSpans > 0)
                        {
                            throw new BenchmarkFailedException(
                                $"{operation} {size} B {variant.Name()}: {measurement.ExportedSpans:N0} spans exported, {measurement.ExpectedSpans:N0} expected.");
                        }


                        Console.Error.WriteLine($"  {label,-12} {operation,-8} {size,5} B  {variant.Name(),-17} {measurement.MessagesPerSecond,12:N0} msg/s  GC paused {measurement.GcPauseShare,4:P0}, {measurement.Gen2Collections} gen2  ({measurementWallClock.Elapsed.TotalSeconds:F1} s with set-up)");
                        telemetry.Logger.LogInformation("{Label}: {Operation} {Size} B {Variant}: {Rate:F0} msg/s",
                            label, operation, size, variant.Name(), measurement.MessagesPerSecond);
                        if (!warmup)
                        {
                            results.Add(operation, size, variant, round, measurement);
                        }
                    }
                }
            }
        }

        telemetry.Flush(logs: true);
        return Report.Render(options, ValueSizes, consumeTopics.ToDictionary(t => t.Key, t => t.Value.Partitions), results, telemetry, wallClock.Elapsed);
    }

    // Room for every message, at ~150 bytes of record overhead (key, traceparent header, batch) each,
    // with no partition over 3 MiB: well under the mock cluster's 5 MiB.
    private static int ConsumeTopicPartitions(int valueSize, int messages) =>
        Math.Max(3, (int)Math.Ceiling((double)messages * (valueSize + 150) / (3 * 1024 * 1024)));

    private static void VerifyRetained(string bootstrapServers, KafkaTopic topic, int messages)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "bench-watermarks",
        }).Build();
        long total = 0;
        for (var partition = 0; partition < topic.Partitions; partition++)
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic.Name, partition), TimeSpan.FromSeconds(10));
            if (watermarks.Low != 0)
            {
                throw new InvalidOperationException(
                    $"The embedded broker dropped the start of {topic.Name} partition {partition} (low watermark {watermarks.Low}): give the topic more partitions.");
            }

            total += watermarks.High;
        }

        if (total < messages)
        {
            throw new InvalidOperationException($"{topic.Name} holds {total} messages, fewer than {messages}.");
        }
    }
}

/// <summary>Keys as the Producer service makes them (a message id), a few thousand of them in rotation.</summary>
internal static class MessageKeys
{
    public static string[] Create() => [.. Enumerable.Range(0, 4096).Select(_ => Guid.CreateVersion7().ToString())];
}
