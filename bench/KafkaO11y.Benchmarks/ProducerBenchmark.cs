using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.Kafka;
using OpenTelemetry.Trace;

namespace KafkaO11y.Benchmarks;

/// <summary>One measurement: how fast a variant's producer gets messages acknowledged at saturation.</summary>
internal static class ProducerBenchmark
{
    private const int ConnectMessages = 100;
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan DeliveryReportTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Produce with a delivery handler, as fast as the client takes them, then Flush: the clock runs
    /// from the first Produce until every message was acknowledged (idempotent, acks=all).
    /// </summary>
    public static Measurement Run(Variant variant, string bootstrapServers, string topic, byte[] value, string[] keys, int count)
    {
        using var client = KafkaClients.Producer(variant, bootstrapServers);
        var producer = client.Instance;

        Message<string, byte[]> NewMessage(int i) => VariantWork.NewMessage(variant, keys[i % keys.Length], value);

        // Outside the clock: connection, metadata and the idempotent producer id.
        ProduceAll(producer, topic, NewMessage, ConnectMessages);

        var clock = MeasurementClock.Start();
        var backoffs = ProduceAll(producer, topic, NewMessage, count);
        return clock.Stop(count, messagesTimed: count, backoffs,
            spansStarted: variant.IsInstrumented ? ConnectMessages + count + backoffs : 0);
    }

    /// <summary>
    /// Writes the consumers' messages, each with a <c>traceparent</c> header of a trace of its own,
    /// sampled as a producer sampling at <paramref name="sampling"/> (parent-based trace-id ratio, no
    /// parent) would have decided, in large batches: the
    /// embedded broker finds a fetch's offset by walking the partition's batches one by one and
    /// answers one batch per partition per fetch, so thousands of small batches would make it,
    /// not the consumer, the bottleneck.
    /// </summary>
    public static void PreProduce(string bootstrapServers, string topic, byte[] value, string[] keys, int count, double sampling)
    {
        var sampler = new TraceIdRatioBasedSampler(sampling);
        Message<string, byte[]> NewMessage(int i)
        {
            var traceId = ActivityTraceId.CreateRandom();
            var decision = sampler.ShouldSample(new SamplingParameters(default, traceId, "send", ActivityKind.Producer)).Decision;
            var context = new ActivityContext(traceId, ActivitySpanId.CreateRandom(),
                decision == SamplingDecision.RecordAndSample ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None);
            var message = new Message<string, byte[]> { Key = keys[i % keys.Length], Value = value, Headers = [] };
            KafkaHeaderPropagation.Inject(context, message.Headers);
            return message;
        }

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 100,
        }).Build();
        ProduceAll(producer, topic, NewMessage, count);
    }

    /// <returns>How many times the client's queue was full (queue.buffering.max.messages) and the loop backed off.</returns>
    private static long ProduceAll(IProducer<string, byte[]> producer, string topic, Func<int, Message<string, byte[]>> newMessage, int count)
    {
        var deliveries = new DeliveryCounter();
        var handler = deliveries.Handler;
        long backoffs = 0;

        for (var i = 0; i < count; i++)
        {
            var message = newMessage(i);

            while (true)
            {
                try
                {
                    producer.Produce(topic, message, handler);
                    break;
                }
                catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // Confluent.Kafka serves delivery reports on its own thread (Poll would throw): wait for it to drain some.
                    backoffs++;
                    Thread.Sleep(1);
                }
            }
        }

        var left = producer.Flush(FlushTimeout);
        if (left > 0)
        {
            throw new InvalidOperationException($"{left} message(s) still unacknowledged after {FlushTimeout.TotalSeconds} s of Flush.");
        }

        deliveries.WaitFor(count, DeliveryReportTimeout);
        return backoffs;
    }
}

/// <param name="MessagesPerSecond">Throughput of the measurement.</param>
/// <param name="AllocatedBytesPerMessage">Managed bytes allocated in the whole process during the measurement, per message.</param>
/// <param name="GcPauseShare">Share of the measurement's time the runtime was paused for garbage collection.</param>
/// <param name="Gen2Collections">Full (generation 2) collections during the measurement.</param>
/// <param name="QueueFullBackoffs">Producer: times the client queue was full. Consumer: 0.</param>
/// <param name="SpansStarted">Full variants: sampling decisions taken (one span per message, those sent to connect included).</param>
/// <param name="CpuNanosecondsPerMessage">
/// Processor time of the whole process during the measurement (user and system, every thread: client,
/// embedded broker, exporter, garbage collector), per message: what a message costs the machine, where
/// the rate says how fast one client went.
/// </param>
internal sealed record Measurement(
    double MessagesPerSecond, double AllocatedBytesPerMessage, double GcPauseShare, int Gen2Collections, long QueueFullBackoffs, long SpansStarted,
    double CpuNanosecondsPerMessage)
{
    /// <summary>Spans that ended recorded (sampled) in this measurement.</summary>
    public long RecordedSpans { get; init; }

    /// <summary>Spans the exporter received for this measurement (counted after a flush).</summary>
    public long ExportedSpans { get; init; }
}

/// <summary>Time, allocations and garbage collection over one measurement, for the whole process.</summary>
internal readonly record struct MeasurementClock(long Started, long Allocated, TimeSpan GcPaused, int Gen2, TimeSpan Cpu)
{
    public static MeasurementClock Start() => new(
        Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true), GC.GetTotalPauseDuration(), GC.CollectionCount(2), Environment.CpuUsage.TotalTime);

    /// <param name="messages">Messages handled while the clock ran.</param>
    /// <param name="messagesTimed">Messages the elapsed time stands for (the consumer's clock starts at its first message).</param>
    public Measurement Stop(int messages, int messagesTimed, long queueFullBackoffs, long spansStarted)
    {
        var elapsed = Stopwatch.GetElapsedTime(Started);
        var cpu = Environment.CpuUsage.TotalTime - Cpu;
        return new Measurement(
            messagesTimed / elapsed.TotalSeconds,
            (double)(GC.GetTotalAllocatedBytes(precise: true) - Allocated) / messages,
            (GC.GetTotalPauseDuration() - GcPaused) / elapsed,
            GC.CollectionCount(2) - Gen2,
            queueFullBackoffs,
            spansStarted,
            cpu.TotalNanoseconds / messagesTimed);
    }
}
