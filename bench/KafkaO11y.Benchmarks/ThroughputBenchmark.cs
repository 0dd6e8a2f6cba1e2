using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// Producer and consumer throughput at saturation, 100 B and 1 KiB values, every variant once per
/// round in a rotating order, on an embedded broker in this process. The method: docs/performance.md.
/// </summary>
internal static class ThroughputBenchmark
{
    private static readonly int[] ValueSizes = [100, 1024];

    // The size the allocation profile (--allocations) runs at.
    private const int ProfiledValueSize = 100;

    /// <returns>The report (Markdown).</returns>
    public static async Task<string> RunAsync(BenchmarkOptions options, BenchmarkTelemetry telemetry)
    {
        var wallClock = Stopwatch.StartNew();

        var variants = Variant.WithSampling(options.Sampling);

        // Producers write to 3 partitions, like the app's topic. Consumers read messages written before
        // the clock starts, a topic per value size and sampling ratio (the sampled flags in their
        // headers differ); bare and propagation only read those of every span sampled. The mock cluster
        // keeps at most 5 MiB per partition (it drops the oldest batches beyond), so those topics get
        // enough partitions to hold every message.
        var consumeRatios = variants.Select(ConsumeTopicSampling).Distinct().ToArray();
        var consumeTopics = ValueSizes
            .SelectMany(size => consumeRatios.Select(ratio => (size, ratio)))
            .ToDictionary(key => key, key => new KafkaTopic(
                string.Create(CultureInfo.InvariantCulture, $"bench-consume-{key.size}b-sampled-{key.ratio * 100:0.##}"),
                ConsumeTopicPartitions(key.size, options.Messages)));
        var produceTopics = ValueSizes.ToDictionary(size => size, size => new KafkaTopic($"bench-produce-{size}b", 3));
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [.. produceTopics.Values, .. consumeTopics.Values]);

        var values = ValueSizes.ToDictionary(size => size, size => Enumerable.Range(0, size).Select(i => (byte)('a' + i % 26)).ToArray());
        var keys = MessageKeys.Create();

        Console.Error.WriteLine($"Throughput. Embedded Kafka at {kafka.BootstrapServers}; {options.Rounds} round(s) of {options.Messages:N0} messages, after a warm-up round of {options.WarmupMessages:N0}; variants: {string.Join(", ", variants)}.");
        foreach (var ((size, ratio), topic) in consumeTopics)
        {
            Console.Error.WriteLine($"Pre-producing {options.Messages:N0} messages of {size} B, {Variant.SamplingName(ratio)} sampled, into {topic.Name} ({topic.Partitions} partitions)...");
            ProducerBenchmark.PreProduce(kafka.BootstrapServers, topic.Name, values[size], keys, options.Messages, ratio);
            VerifyRetained(kafka.BootstrapServers, topic, options.Messages);
        }

        var results = new Results();
        for (var round = 0; round <= options.Rounds; round++)
        {
            // Round 0 warms up (JIT, tiered compilation, connections) and is not reported.
            var warmup = round == 0;
            var count = warmup ? options.WarmupMessages : options.Messages;
            var label = warmup ? "warm-up" : $"round {round}/{options.Rounds}";
            foreach (var operation in Operations.All)
            {
                foreach (var size in ValueSizes)
                {
                    foreach (var variant in Variant.InOrderOfRound(variants, round))
                    {
                        var measurementWallClock = Stopwatch.StartNew();
                        var measurement = await MeasureAsync(operation, size, variant, count, round);

                        Console.Error.WriteLine($"  {label,-12} {operation.Name(),-24} {size,5} B  {variant.Name,-17} {measurement.MessagesPerSecond,12:N0} msg/s  GC paused {measurement.GcPauseShare,4:P0}, {measurement.Gen2Collections} gen2  ({measurementWallClock.Elapsed.TotalSeconds:F1} s with set-up)");
                        telemetry.Logger.LogInformation("{Label}: {Operation} {Size} B {Variant}: {Rate:F0} msg/s",
                            label, operation.Name(), size, variant.Name, measurement.MessagesPerSecond);
                        if (!warmup)
                        {
                            results.Add(operation, size, variant, round, measurement);
                        }
                    }
                }
            }
        }

        // A round of its own, not reported as a measurement: listening to the runtime's allocation
        // ticks costs time, so it profiles what each variant allocates and does not time it.
        var profiles = new List<AllocationProfile>();
        if (options.Allocations)
        {
            using var sampler = new AllocationSampler();
            foreach (var operation in Operations.All)
            {
                foreach (var variant in variants)
                {
                    sampler.Start();
                    await MeasureAsync(operation, ProfiledValueSize, variant, options.Messages, round: options.Rounds + 1);
                    profiles.Add(new AllocationProfile(operation, variant, options.Messages, await sampler.StopAsync()));
                    Console.Error.WriteLine($"  allocations  {operation.Name(),-24} {ProfiledValueSize,5} B  {variant.Name,-17} profiled");
                }
            }
        }

        telemetry.Flush(logs: true);
        if (options.ChartPath is { } chartPath)
        {
            await File.WriteAllTextAsync(chartPath, SamplingChart.Render(variants, ValueSizes, results,
                $"Throughput by sampling ratio, median of {options.Rounds} round(s) x {options.Messages:N0} messages"));
            Console.Error.WriteLine($"Sampling curve written to {Path.GetFullPath(chartPath)}.");
        }

        return Report.Render(options, variants, ValueSizes, ValueSizes.ToDictionary(size => size, size => consumeTopics[(size, 1)].Partitions),
            results, wallClock.Elapsed) + AllocationProfile.Render(profiles, ProfiledValueSize);

        // One measurement: a fresh client of the variant, its spans counted and checked.
        async Task<Measurement> MeasureAsync(Operation operation, int size, Variant variant, int count, int round)
        {
            telemetry.Settle(variant);
            var recordedBefore = telemetry.RecordedSpans.Recorded;
            var spansBefore = telemetry.Spans.Exported;
            var measurement = operation == Operation.Produce
                ? ProducerBenchmark.Run(variant, kafka.BootstrapServers, produceTopics[size].Name, values[size], keys, count)
                : await ConsumerBenchmark.RunAsync(variant, kafka.BootstrapServers, consumeTopics[(size, ConsumeTopicSampling(variant))], count,
                    groupId: $"bench-{variant.Kind}-{size}b-{round}-{Guid.NewGuid():N}",
                    batchSize: operation == Operation.ConsumeBatch ? Operations.BatchSize : 1);
            telemetry.Flush();
            measurement = measurement with
            {
                RecordedSpans = telemetry.RecordedSpans.Recorded - recordedBefore,
                ExportedSpans = telemetry.Spans.Exported - spansBefore,
            };
            CheckSampling(operation, size, variant, measurement);
            return measurement;
        }
    }

    /// <summary>The sampled flags the messages a variant consumes carry: its own ratio; every span's for bare and propagation only.</summary>
    private static double ConsumeTopicSampling(Variant variant) => variant.IsInstrumented ? variant.Sampling : 1;

    /// <summary>
    /// A variant must record what it claims: none but the full variants a span, a full variant about
    /// its ratio of the spans it started (the ratio sampler decides each trace by its random id), and
    /// every span or none at 1 and 0. The batch processor may drop some at saturation (its queue is
    /// 2,048), never most.
    /// </summary>
    private static void CheckSampling(Operation operation, int size, Variant variant, Measurement measurement)
    {
        var expected = variant.IsInstrumented ? variant.Sampling * measurement.SpansStarted : 0;
        var recordedAsClaimed = variant.Sampling switch
        {
            _ when !variant.IsInstrumented || variant.Sampling == 0 => measurement.RecordedSpans == 0,
            1 => measurement.RecordedSpans == measurement.SpansStarted,
            _ => Math.Abs(measurement.RecordedSpans - expected) <= 0.2 * expected + 50,
        };
        if (!recordedAsClaimed || measurement.ExportedSpans < measurement.RecordedSpans / 2)
        {
            throw new BenchmarkFailedException(
                $"{operation.Name()} {size} B {variant.Name}: {measurement.RecordedSpans:N0} spans recorded and {measurement.ExportedSpans:N0} exported of {measurement.SpansStarted:N0} started; about {expected:N0} should have been recorded.");
        }
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
