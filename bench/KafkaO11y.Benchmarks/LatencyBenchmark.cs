using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// End-to-end latency at fixed rates: one producer sends on an absolute schedule, one consumer of
/// the same variant handles each message, and each message's latency runs from the time it was
/// scheduled to be sent until the consumer stored its offset.
/// </summary>
/// <remarks>
/// Measuring from the scheduled time, not from the actual send, avoids coordinated omission: a
/// producer that stalls (a garbage collection, a slow send) sends the messages it owes late, and
/// their latency includes the stall, as it would for a service whose callers do not wait for it.
/// </remarks>
internal static class LatencyBenchmark
{
    public static readonly int[] Rates = [1_000, 10_000];

    public const int ValueSize = 100;

    /// <summary>Sent and handled as any other message, but not recorded: connections, fetch sessions and JIT settle.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(0.5);

    /// <summary>The unreported warm-up round's schedule per measurement.</summary>
    private const double WarmupRoundSeconds = 1.5;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(15);

    /// <returns>The report (Markdown).</returns>
    public static async Task<string> RunAsync(BenchmarkOptions options, BenchmarkTelemetry telemetry)
    {
        var wallClock = Stopwatch.StartNew();
        // A topic per measurement on one broker; created as the measurement starts.
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, []);
        var keys = MessageKeys.Create();
        var results = new LatencyResults();

        Console.Error.WriteLine($"Latency. Embedded Kafka at {kafka.BootstrapServers}; {options.LatencyRounds} round(s) of {options.LatencySeconds:0.#} s per rate and variant (the first {Warmup.TotalSeconds:0.#} s not recorded), after a warm-up round of {WarmupRoundSeconds:0.#} s.");
        for (var round = 0; round <= options.LatencyRounds; round++)
        {
            // Round 0 warms up (JIT, tiered compilation) and is not reported.
            var warmupRound = round == 0;
            var seconds = warmupRound ? Math.Min(WarmupRoundSeconds, options.LatencySeconds) : options.LatencySeconds;
            var label = warmupRound ? "warm-up" : $"round {round}/{options.LatencyRounds}";
            foreach (var rate in Rates)
            {
                foreach (var variant in Variant.InOrderOfRound(Variant.Standard, round))
                {
                    telemetry.Settle(variant);
                    var topic = new KafkaTopic($"latency-{rate}-{variant}-{round}".ToLowerInvariant(), Partitions: 3);
                    kafka.CreateTopic(topic);
                    var spansBefore = telemetry.Spans.Exported;
                    var measurement = await MeasureAsync(variant, kafka.BootstrapServers, topic, rate, seconds, keys);
                    telemetry.Flush();
                    measurement = measurement with { ExportedSpans = telemetry.Spans.Exported - spansBefore };
                    if (variant.IsInstrumented && measurement.ExportedSpans == 0)
                    {
                        throw new BenchmarkFailedException($"The full variant at {rate} msg/s exported no span: the instrumentation is not active.");
                    }

                    var sorted = measurement.SortedLatencies;
                    Console.Error.WriteLine(
                        $"  {label,-12} {rate,6:N0} msg/s  {variant.Name,-17} p50 {Milliseconds(Percentile(sorted, 0.50)),7:F2} ms  p99 {Milliseconds(Percentile(sorted, 0.99)),7:F2} ms  max {Milliseconds(sorted[^1]),7:F2} ms  ({sorted.Length:N0} recorded, sender behind by up to {Milliseconds(measurement.SortedSendLags[^1]):F2} ms, GC paused {measurement.GcPause.TotalMilliseconds:F0} ms, other processes {measurement.OtherCpu:P0} CPU)");
                    telemetry.Logger.LogInformation("{Label}: latency at {Rate} msg/s, {Variant}: p99 {P99:F2} ms",
                        label, rate, variant.Name, Milliseconds(Percentile(sorted, 0.99)));
                    if (!warmupRound)
                    {
                        results.Add(rate, variant, measurement);
                    }
                }
            }
        }

        telemetry.Flush(logs: true);
        return LatencyReport.Render(options, results, wallClock.Elapsed);
    }

    private static async Task<LatencyMeasurement> MeasureAsync(
        Variant variant, string bootstrapServers, KafkaTopic topic, int rate, double seconds, string[] keys)
    {
        var count = (int)Math.Round(rate * seconds);
        var unrecorded = (int)Math.Round(rate * Warmup.TotalSeconds);
        using var producerClient = KafkaClients.Producer(variant, bootstrapServers);
        using var consumerClient = KafkaClients.Consumer(variant, bootstrapServers, groupId: $"latency-{Guid.NewGuid():N}",
            ConsumerTuning.AsTheServicesOnEmbeddedKafka);
        var producer = producerClient.Instance;
        var consumer = consumerClient.Instance;
        consumer.AssignAll(topic);

        var receiver = new Receiver(variant, count, unrecorded, topic.Partitions);
        var deliveries = new DeliveryCounter();
        using var stop = new CancellationTokenSource();
        var receiving = Task.Factory.StartNew(() => receiver.RunAsync(consumer, stop.Token), stop.Token,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        try
        {
            // One unrecorded message per partition, and the schedule starts once the consumer had all
            // of them: the producer is connected and the consumer fetches every partition.
            for (var partition = 0; partition < topic.Partitions; partition++)
            {
                producer.Produce(new TopicPartition(topic.Name, partition), NewMessage(variant, keys[partition], scheduled: 0, index: -1), deliveries.Handler);
            }

            if (await Task.WhenAny(receiver.HandshakeDone, receiving, Task.Delay(HandshakeTimeout)) != receiver.HandshakeDone)
            {
                await ThrowIfFaulted(receiving);
                throw new BenchmarkFailedException($"{variant.Name} at {rate} msg/s: the consumer did not receive the first messages within {HandshakeTimeout.TotalSeconds} s.");
            }

            var sendLags = new long[count];
            var gcPausedBefore = GC.GetTotalPauseDuration();
            var loadBefore = OtherLoad.Take();
            var sending = Task.Factory.StartNew(() => Send(producer, variant, topic.Name, rate, count, keys, sendLags, deliveries),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await sending;
            var left = producer.Flush(FlushTimeout);
            if (left > 0)
            {
                throw new BenchmarkFailedException($"{variant.Name} at {rate} msg/s: {left} message(s) still unacknowledged after {FlushTimeout.TotalSeconds} s of Flush.");
            }

            if (await Task.WhenAny(receiving, Task.Delay(DrainTimeout)) != receiving)
            {
                throw new BenchmarkFailedException($"{variant.Name} at {rate} msg/s: the consumer had handled {receiver.Received:N0} of {count:N0} messages {DrainTimeout.TotalSeconds} s after the last send.");
            }

            await receiving;
            var gcPause = GC.GetTotalPauseDuration() - gcPausedBefore;
            var otherCpu = OtherLoad.Share(loadBefore, OtherLoad.Take());
            deliveries.ThrowIfFailed($"{variant.Name} at {rate} msg/s");
            consumer.Close();
            return receiver.Result(sendLags[unrecorded..], gcPause, otherCpu, expectedSpans: variant.IsInstrumented ? 2L * (count + topic.Partitions) : 0);
        }
        finally
        {
            // The consumer must not be disposed while its thread is in Consume.
            await stop.CancelAsync();
            await Task.WhenAny(receiving);
        }
    }

    private static async Task ThrowIfFaulted(Task task)
    {
        if (task.IsFaulted)
        {
            await task;
        }
    }

    /// <summary>
    /// Message i is due at start + i / rate. The sender sleeps until a message is due; when it is
    /// late (a pause, a slow send) it sends what it owes at once, and those messages' latency still
    /// counts from their due time.
    /// </summary>
    private static void Send(IProducer<string, byte[]> producer, Variant variant, string topic, int rate, int count,
        string[] keys, long[] sendLags, DeliveryCounter deliveries)
    {
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)((double)i * Stopwatch.Frequency / rate);
            PreciseSleep.Until(due);
            sendLags[i] = Stopwatch.GetTimestamp() - due;
            producer.Produce(topic, NewMessage(variant, keys[i % keys.Length], due, i), deliveries.Handler);
        }
    }

    /// <summary>100 bytes: the due time (a Stopwatch timestamp) and the message's index (-1: not recorded), then padding.</summary>
    private static Message<string, byte[]> NewMessage(Variant variant, string key, long scheduled, int index)
    {
        var value = new byte[ValueSize];
        BinaryPrimitives.WriteInt64LittleEndian(value, scheduled);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(sizeof(long)), index);
        return VariantWork.NewMessage(variant, key, value);
    }

    public static double Milliseconds(long stopwatchTicks) => stopwatchTicks * 1_000.0 / Stopwatch.Frequency;

    /// <summary>Nearest rank: the smallest sample that at least <paramref name="p"/> of all samples do not exceed.</summary>
    public static long Percentile(long[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The consumer's side, on its own thread: consume, handle as the variant does, store the offset, record.</summary>
    private sealed class Receiver(Variant variant, int count, int unrecorded, int partitions)
    {
        private readonly TaskCompletionSource _handshakeDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _latencies = new long[count - unrecorded];
        private readonly bool[] _seen = new bool[count];
        private int _handshakes;
        private int _received;
        private int _recorded;

        public Task HandshakeDone => _handshakeDone.Task;

        public int Received => Volatile.Read(ref _received);

        private VariantHandler? _handler;

        public async Task RunAsync(IConsumer<string, byte[]> consumer, CancellationToken stop)
        {
            _handler = new VariantHandler(consumer, variant);
            while (Received < count && !stop.IsCancellationRequested)
            {
                var consumed = consumer.Consume(PollTimeout);
                if (consumed is null)
                {
                    continue;
                }

                await _handler.HandleAsync(consumed, stop);
                consumer.StoreOffset(consumed);
                var handled = Stopwatch.GetTimestamp();

                var value = consumed.Message.Value;
                var scheduled = BinaryPrimitives.ReadInt64LittleEndian(value);
                var index = BinaryPrimitives.ReadInt32LittleEndian(value.AsSpan(sizeof(long)));
                if (index < 0)
                {
                    if (++_handshakes == partitions)
                    {
                        _handshakeDone.TrySetResult();
                    }

                    continue;
                }

                if (_seen[index])
                {
                    throw new BenchmarkFailedException($"{variant.Name}: message {index} arrived twice.");
                }

                _seen[index] = true;
                if (index >= unrecorded)
                {
                    _latencies[_recorded++] = handled - scheduled;
                }

                Volatile.Write(ref _received, _received + 1);
            }
        }

        public LatencyMeasurement Result(long[] sendLags, TimeSpan gcPause, double? otherCpu, long expectedSpans)
        {
            if (_recorded != _latencies.Length)
            {
                throw new BenchmarkFailedException($"{variant.Name}: recorded {_recorded} latencies, expected {_latencies.Length}.");
            }

            // Every message, the first per partition included, carries a traceparent header.
            if (variant == Variant.PropagationOnly && _handler?.WithContext != count + partitions)
            {
                throw new BenchmarkFailedException($"Propagation only: {_handler?.WithContext} of {count + partitions} messages carried a trace context.");
            }

            Array.Sort(_latencies);
            Array.Sort(sendLags);
            return new LatencyMeasurement(_latencies, sendLags, gcPause, otherCpu, expectedSpans);
        }
    }
}

/// <param name="SortedLatencies">Recorded messages' latency (scheduled send until handled), Stopwatch ticks, ascending.</param>
/// <param name="SortedSendLags">How late the sender was to each recorded message's due time, Stopwatch ticks, ascending.</param>
/// <param name="GcPause">Time the runtime was paused for garbage collection while the schedule ran (whole process).</param>
/// <param name="OtherCpu">Share of the machine's CPU other processes used while the schedule ran (null: unknown).</param>
/// <param name="ExpectedSpans">Full variant: a send and a process span per message, the unrecorded ones included.</param>
internal sealed record LatencyMeasurement(long[] SortedLatencies, long[] SortedSendLags, TimeSpan GcPause, double? OtherCpu, long ExpectedSpans)
{
    /// <summary>Spans the exporter received for this measurement (counted after a flush).</summary>
    public long ExportedSpans { get; init; }
}

/// <summary>Every reported latency measurement, by rate and variant, in round order.</summary>
internal sealed class LatencyResults
{
    private readonly Dictionary<(int Rate, Variant Variant), List<LatencyMeasurement>> _measurements = [];

    public void Add(int rate, Variant variant, LatencyMeasurement measurement)
    {
        if (!_measurements.TryGetValue((rate, variant), out var rounds))
        {
            _measurements[(rate, variant)] = rounds = [];
        }

        rounds.Add(measurement);
    }

    public IReadOnlyList<LatencyMeasurement> Of(int rate, Variant variant) => _measurements[(rate, variant)];

    /// <summary>Every round's samples together, ascending.</summary>
    public long[] Pooled(int rate, Variant variant, Func<LatencyMeasurement, long[]> samples)
    {
        var pooled = Of(rate, variant).SelectMany(samples).ToArray();
        Array.Sort(pooled);
        return pooled;
    }
}
