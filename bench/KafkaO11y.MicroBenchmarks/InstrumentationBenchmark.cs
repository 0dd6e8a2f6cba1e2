using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What every micro-benchmark shares: OpenTelemetry listening, sampling as <see cref="Sampling"/>
/// says, and the client and topic of the services.
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public abstract class InstrumentationBenchmark
{
    protected const string Topic = "messages";
    protected static readonly KafkaClientInfo Producer = new("kafka-o11y-producer", "127.0.0.1", 9092, ConsumerGroup: null);
    protected static readonly KafkaClientInfo Consumer = new("kafka-o11y-consumer", "127.0.0.1", 9092, "kafka-o11y-consumer");
    protected static readonly TopicPartitionOffset Acknowledged = new(Topic, 1, 123_456);
    // As a client knows it once a broker answered (the id format of a KRaft cluster).
    private protected static readonly KafkaClusterId Cluster = new("MkU3OEVBNTcwNTJENDM2Qk");

    private InstrumentationTelemetry? _telemetry;
    private Activity? _unsampledParent;

    [Params(SpanSampling.Recorded, SpanSampling.SamplerDrops, SpanSampling.ParentNotSampled)]
    public SpanSampling Sampling { get; set; }

    /// <summary>
    /// The context from elsewhere: the consumed message's producer (its <c>traceparent</c>), sampled
    /// unless <see cref="SpanSampling.ParentNotSampled"/>.
    /// </summary>
    protected ActivityContext RemoteContext { get; private set; }

    /// <summary>A message id, as the Producer service makes its keys.</summary>
    protected string Key { get; } = Guid.CreateVersion7().ToString();

    [GlobalSetup]
    public void Setup()
    {
        _telemetry = new InstrumentationTelemetry(Sampling);
        var parentFlags = Sampling == SpanSampling.ParentNotSampled ? ActivityTraceFlags.None : ActivityTraceFlags.Recorded;
        RemoteContext = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), parentFlags);
        if (Sampling == SpanSampling.ParentNotSampled)
        {
            // The producer's caller: an HTTP request whose trace the sampler dropped, current for the whole run.
            _unsampledParent = new Activity("POST /messages");
            _unsampledParent.SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
            _unsampledParent.Start();
        }

        Setup(RemoteContext);
    }

    /// <summary>The benchmark's own set-up, once the sampling is in place.</summary>
    protected virtual void Setup(ActivityContext remoteContext)
    {
    }

    /// <summary>Fails the run if the caller's context is not what <see cref="Sampling"/> says it is.</summary>
    protected void CheckCaller()
    {
        if (Activity.Current != _unsampledParent)
        {
            throw new InvalidOperationException($"Activity.Current is {Activity.Current?.DisplayName ?? "null"}, not the caller's this benchmark set up.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _unsampledParent?.Stop();
        _telemetry?.Dispose();
    }
}

/// <summary>How the spans of a benchmark are sampled.</summary>
public enum SpanSampling
{
    /// <summary>Every span recorded (AlwaysOnSampler).</summary>
    Recorded,

    /// <summary>
    /// The sampler drops every span (AlwaysOffSampler): a send starts a new trace that is not
    /// recorded; a process span's parent is sampled, the sampler drops it all the same.
    /// </summary>
    SamplerDrops,

    /// <summary>
    /// The parent was not sampled and the sampler follows it (ParentBased(AlwaysOn), OpenTelemetry's
    /// default): a send inside an unsampled request, a message whose <c>traceparent</c> says not sampled.
    /// </summary>
    ParentNotSampled,
}
