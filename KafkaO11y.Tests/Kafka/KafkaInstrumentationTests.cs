using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.Tests.Kafka;

/// <summary>
/// The Kafka integration of ServiceDefaults against a real Kafka wire protocol (the embedded
/// cluster in this process): what a user sees in a trace, in metrics and in logs.
/// </summary>
public sealed class KafkaInstrumentationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // A topic per test: the message counters are observable counters that count from the process's
    // start, per topic, so another test's messages must not land in this test's series.
    private readonly string _topic = $"instrumentation-test-{Guid.NewGuid():N}";
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly CapturedTelemetry _telemetry = new();
    private readonly StartTagsRecordingSampler _sampler = new();
    private readonly IHost _host;

    // A span of the test itself, standing in for the Producer's HTTP request.
    private static readonly ActivitySource Caller = new("KafkaO11y.Tests.Caller");

    public KafkaInstrumentationTests()
    {
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic(_topic, Partitions: 3)]);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:kafka"] = _kafka.BootstrapServers;
        builder.Configuration["Kafka:Consumer:GroupId"] = "instrumentation-test-group";
        builder.Configuration["Kafka:Producer:ClientId"] = "instrumentation-test-producer";
        builder.Configuration["Kafka:Consumer:ClientId"] = "instrumentation-test-consumer";
        // Statistics every 100 ms, so the statistics metrics show up within the test.
        builder.Configuration["Kafka:Producer:StatisticsIntervalMs"] = "100";
        builder.Configuration["Kafka:Consumer:StatisticsIntervalMs"] = "100";
        // Lag is known once an offset is committed; commit often.
        builder.Configuration["Kafka:Consumer:AutoCommitIntervalMs"] = "100";
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        builder.AddInstrumentedKafkaConsumer<string, byte[]>("kafka");
        // AddInstrumentedKafkaProducer and AddInstrumentedKafkaConsumer add the integration's own source and meter.
        _telemetry.AddTo(builder, Caller.Name);
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(_sampler));
        _host = builder.Build();
        _host.Start();
    }

    private IProducer<string, byte[]> Producer => _host.Services.GetRequiredService<IProducer<string, byte[]>>();

    private IConsumer<string, byte[]> Consumer => _host.Services.GetRequiredService<IConsumer<string, byte[]>>();

    /// <summary>The same consumer with the given trace shape, as its <c>configureSettings</c> would make it.</summary>
    private InstrumentedConsumer<string, byte[]> ConsumerShaped(KafkaTraceShape shape) =>
        new(Consumer, ((InstrumentedConsumer<string, byte[]>)Consumer).Client, traceShape: shape);

    [Fact]
    public async Task Processing_span_is_a_child_of_the_send_span_in_one_trace_with_convention_attributes()
    {
        DeliveryResult<string, byte[]> sent;
        ActivityTraceId requestTraceId;
        using (var request = Caller.StartActivity("POST /messages", ActivityKind.Server))
        {
            requestTraceId = request!.TraceId;
            sent = await Producer.ProduceAsync(_topic, new Message<string, byte[]>
            {
                Key = "key-1",
                Value = "{}"u8.ToArray(),
                Headers = new Headers { { "app", "the sender's own"u8.ToArray() } },
            });
        }

        var consumed = ConsumeOne();
        Assert.Equal(sent.TopicPartitionOffset, consumed.TopicPartitionOffset);
        Assert.True(consumed.Message.Headers.TryGetLastBytes("traceparent", out var traceparent));
        Assert.Equal(["app", "traceparent"], consumed.Message.Headers.Select(h => h.Key));

        string? loggedTraceId = null;
        var logger = _host.Services.GetRequiredService<ILogger<KafkaInstrumentationTests>>();
        await Consumer.ProcessAsync(consumed, (message, _) =>
        {
            logger.LogInformation("Processing offset {Offset}", message.Offset.Value);
            loggedTraceId = Activity.Current?.TraceId.ToString();
            return Task.CompletedTask;
        });
        FlushTelemetry();

        var send = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}");
        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");

        // One trace: request -> send -> process.
        Assert.Equal(requestTraceId, send.TraceId);
        Assert.Equal(send.TraceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        Assert.Equal(send.SpanId, Assert.Single(process.Links).Context.SpanId);
        Assert.Equal($"00-{send.TraceId}-{send.SpanId}-01", Encoding.UTF8.GetString(traceparent));

        Assert.Equal(ActivityKind.Producer, send.Kind);
        AssertTags(send, new()
        {
            ["messaging.system"] = "kafka",
            ["messaging.operation.name"] = "send",
            ["messaging.operation.type"] = "send",
            ["messaging.destination.name"] = _topic,
            ["messaging.destination.partition.id"] = sent.Partition.Value.ToString(),
            ["messaging.kafka.offset"] = sent.Offset.Value,
            ["messaging.kafka.message.key"] = "key-1",
            ["server.address"] = "127.0.0.1",
            ["server.port"] = BootstrapPort,
            ["messaging.client.id"] = "instrumentation-test-producer",
            ["messaging.kafka.cluster.id"] = ClusterId(),
        });

        Assert.Equal(ActivityKind.Consumer, process.Kind);
        AssertTags(process, new()
        {
            ["messaging.system"] = "kafka",
            ["messaging.operation.name"] = "process",
            ["messaging.operation.type"] = "process",
            ["messaging.destination.name"] = _topic,
            ["messaging.destination.partition.id"] = sent.Partition.Value.ToString(),
            ["messaging.kafka.offset"] = sent.Offset.Value,
            ["messaging.kafka.message.key"] = "key-1",
            ["messaging.consumer.group.name"] = "instrumentation-test-group",
            ["server.address"] = "127.0.0.1",
            ["server.port"] = BootstrapPort,
            ["messaging.client.id"] = "instrumentation-test-consumer",
            ["messaging.kafka.cluster.id"] = ClusterId(),
        });

        // The log line written while processing belongs to the processing span.
        Assert.Equal(process.TraceId.ToString(), loggedTraceId);
        var log = Assert.Single(_telemetry.Logs, l => l.FormattedMessage?.StartsWith("Processing offset", StringComparison.Ordinal) == true
            || l.Body?.StartsWith("Processing offset", StringComparison.Ordinal) == true);
        Assert.Equal(process.TraceId, log.TraceId);
        Assert.Equal(process.SpanId, log.SpanId);
    }

    /// <summary>
    /// The conventions name the attributes a sampler may decide on, to be given as a span starts:
    /// system, operation, destination, partition where known, the consumer's group, the server. A
    /// sampler sees them on the send span, the process span and a batch's span (without the partition
    /// when the batch has two), and nothing else (what differs per message or is known only later is
    /// added once the span is recorded).
    /// </summary>
    [Fact]
    public async Task The_sampler_sees_the_attributes_the_conventions_name_for_sampling_as_each_span_starts()
    {
        foreach (var partition in new[] { 2, 2, 0 })
        {
            await Producer.ProduceAsync(new TopicPartition(_topic, partition), new Message<string, byte[]> { Key = "sampled-on", Value = "{}"u8.ToArray() });
        }

        var consumed = new[] { ConsumeOne(), ConsumeOne(), ConsumeOne() };
        var (fromTwo, alsoFromTwo) = (consumed.First(c => c.Partition == 2), consumed.Last(c => c.Partition == 2));
        await Consumer.ProcessAsync(fromTwo, (_, _) => Task.CompletedTask);
        await Consumer.ProcessBatchAsync([alsoFromTwo], (_, _) => Task.CompletedTask);
        await Consumer.ProcessBatchAsync([alsoFromTwo, consumed.Single(c => c.Partition == 0)], (_, _) => Task.CompletedTask);

        Dictionary<string, object> server = new() { ["server.address"] = "127.0.0.1", ["server.port"] = BootstrapPort };
        Dictionary<string, object> send = new(server)
        {
            ["messaging.system"] = "kafka",
            ["messaging.operation.name"] = "send",
            ["messaging.operation.type"] = "send",
            ["messaging.destination.name"] = _topic,
        };
        Dictionary<string, object> process = new(send)
        {
            ["messaging.operation.name"] = "process",
            ["messaging.operation.type"] = "process",
            ["messaging.destination.partition.id"] = "2",
            ["messaging.consumer.group.name"] = "instrumentation-test-group",
        };
        // A batch from two partitions: no partition to give.
        var processTwoPartitions = process.Where(t => t.Key != "messaging.destination.partition.id");
        var seen = _sampler.Seen.Where(s => s.Name.EndsWith(_topic, StringComparison.Ordinal)).ToList();
        Assert.Equal([.. Enumerable.Repeat($"send {_topic}", 3), .. Enumerable.Repeat($"process {_topic}", 3)], seen.Select(s => s.Name));
        Assert.All(seen.Take(3), s => Assert.Equal(send.OrderBy(t => t.Key), s.Tags.OrderBy(t => t.Key)));
        Assert.All(seen.Skip(3).Take(2), s => Assert.Equal(process.OrderBy(t => t.Key), s.Tags.OrderBy(t => t.Key)));
        Assert.Equal(processTwoPartitions.OrderBy(t => t.Key), seen[5].Tags.OrderBy(t => t.Key));
    }

    /// <summary>
    /// The other trace shape, <see cref="KafkaTraceShape.LinkToProducerTrace"/>: the process span
    /// starts a trace of its own with a link to the send span, and the handler's own spans and logs
    /// sit in that new trace.
    /// </summary>
    [Fact]
    public async Task Linked_to_the_producers_trace_processing_starts_a_trace_of_its_own_with_the_handlers_spans_and_logs_inside()
    {
        var sent = await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "linked", Value = "{}"u8.ToArray() });
        var consumed = ConsumeOne();
        var logger = _host.Services.GetRequiredService<ILogger<KafkaInstrumentationTests>>();

        await ConsumerShaped(KafkaTraceShape.LinkToProducerTrace).ProcessAsync(consumed, (message, _) =>
        {
            using var handlerWork = Caller.StartActivity("handler work");
            logger.LogInformation("Linked processing of offset {Offset}", message.Offset.Value);
            return Task.CompletedTask;
        });
        FlushTelemetry();

        var send = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}");
        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");
        Assert.NotEqual(send.TraceId, process.TraceId);
        Assert.Equal(default, process.ParentSpanId);
        var link = Assert.Single(process.Links);
        Assert.Equal((send.TraceId, send.SpanId), (link.Context.TraceId, link.Context.SpanId));
        AssertTags(process, new()
        {
            ["messaging.operation.name"] = "process",
            ["messaging.kafka.offset"] = sent.Offset.Value,
            ["messaging.consumer.group.name"] = "instrumentation-test-group",
        });

        var handlerWork = Assert.Single(_telemetry.Spans, s => s.DisplayName == "handler work");
        Assert.Equal((process.TraceId, process.SpanId), (handlerWork.TraceId, handlerWork.ParentSpanId));
        var log = Assert.Single(_telemetry.Logs, l => l.FormattedMessage?.StartsWith("Linked processing", StringComparison.Ordinal) == true);
        Assert.Equal((process.TraceId, handlerWork.SpanId), (log.TraceId, log.SpanId));
    }

    /// <summary>
    /// Sampling follows the shape: continuing the producer's trace, an unsampled producer side means
    /// an unrecorded process span; linked, the process span is a new trace's root, which the
    /// consumer's sampler (every new trace here) records, with its link to the unsampled context.
    /// </summary>
    [Theory]
    [InlineData(KafkaTraceShape.ContinueProducerTrace, false)]
    [InlineData(KafkaTraceShape.LinkToProducerTrace, true)]
    public async Task A_message_from_an_unsampled_trace_is_processed_unrecorded_in_it_or_recorded_in_a_trace_of_its_own(KafkaTraceShape shape, bool recorded)
    {
        var upstream = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        using (Caller.StartActivity("POST /messages", ActivityKind.Server, upstream))
        {
            await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "unsampled", Value = "{}"u8.ToArray() });
        }

        var consumed = ConsumeOne();
        var producerContext = KafkaHeaderPropagation.Extract(consumed.Message.Headers).ActivityContext;
        var consumer = ConsumerShaped(shape);
        Activity? processing = null;
        await consumer.ProcessAsync(consumed, (_, _) =>
        {
            processing = Activity.Current;
            return Task.CompletedTask;
        });
        FlushTelemetry();

        Assert.NotNull(processing);
        Assert.Equal(recorded, processing.Recorded);
        Assert.Equal(recorded, _telemetry.Spans.Any(s => s.DisplayName == $"process {_topic}"));
        Assert.Equal(!recorded, processing.TraceId == upstream.TraceId);
        if (recorded)
        {
            Assert.Equal(producerContext.SpanId, Assert.Single(processing.Links).Context.SpanId);
        }
    }

    /// <summary>
    /// Processing that runs inside a span of the caller's (a batch, a request): continuing the
    /// producer's trace, the process span's parent is the producer's and the caller's span is
    /// linked; linked to the producer's trace, its parent is the caller's span, as the conventions' default.
    /// </summary>
    [Theory]
    [InlineData(KafkaTraceShape.ContinueProducerTrace)]
    [InlineData(KafkaTraceShape.LinkToProducerTrace)]
    public async Task Processing_inside_a_callers_span_keeps_both_the_producers_context_and_the_callers_span(KafkaTraceShape shape)
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "inside", Value = "{}"u8.ToArray() });
        var consumed = ConsumeOne();
        var consumer = ConsumerShaped(shape);
        ActivityContext callersSpan;
        using (var caller = Caller.StartActivity("poll loop", ActivityKind.Internal, parentContext: default))
        {
            callersSpan = caller!.Context;
            await consumer.ProcessAsync(consumed, (_, _) => Task.CompletedTask);
            Assert.Same(caller, Activity.Current);
        }

        FlushTelemetry();
        var send = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}");
        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");
        var links = process.Links.Select(l => l.Context.SpanId).ToList();
        if (shape == KafkaTraceShape.ContinueProducerTrace)
        {
            Assert.Equal((send.TraceId, send.SpanId), (process.TraceId, process.ParentSpanId));
            Assert.Equal([send.SpanId, callersSpan.SpanId], links);
        }
        else
        {
            Assert.Equal((callersSpan.TraceId, callersSpan.SpanId), (process.TraceId, process.ParentSpanId));
            Assert.Equal([send.SpanId], links);
        }
    }

    /// <summary>
    /// A batch processed as one: one process span (kind Consumer) with a link to each message's send
    /// span and the batch's size, no parent taken from any message, the partition the batch shares,
    /// no per-message offset or key; each message counted and its end-to-end latency recorded, one
    /// process duration for the batch; the handler's spans and logs inside the batch's span.
    /// </summary>
    [Fact]
    public async Task A_batch_is_processed_in_one_span_linked_to_each_message_with_each_messages_metrics()
    {
        var created = new DateTime[3];
        for (var index = 0; index < 3; index++)
        {
            using var request = Caller.StartActivity($"POST /messages {index}", ActivityKind.Server, parentContext: default);
            created[index] = DateTime.UtcNow;
            await Producer.ProduceAsync(new TopicPartition(_topic, 1), new Message<string, byte[]> { Key = $"batch-{index}", Value = "{}"u8.ToArray(), Timestamp = new Timestamp(created[index]) });
        }

        var batch = new[] { ConsumeOne(), ConsumeOne(), ConsumeOne() };
        var logger = _host.Services.GetRequiredService<ILogger<KafkaInstrumentationTests>>();
        IReadOnlyList<ConsumeResult<string, byte[]>>? handled = null;
        var handlerReturned = default(DateTime);
        await Consumer.ProcessBatchAsync(batch, async (messages, _) =>
        {
            using var handlerWork = Caller.StartActivity("batch handler work");
            logger.LogInformation("Processing a batch of {Count}", messages.Count);
            handled = messages;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            handlerReturned = DateTime.UtcNow;
        });
        var batchProcessed = DateTime.UtcNow;
        FlushTelemetry();

        Assert.Same(batch, handled);
        var sends = _telemetry.Spans.Where(s => s.DisplayName == $"send {_topic}").ToList();
        Assert.Equal(3, sends.Count);
        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(default, process.ParentSpanId);
        Assert.DoesNotContain(sends, send => send.TraceId == process.TraceId);
        Assert.Equal(
            sends.Select(s => $"{s.TraceId}-{s.SpanId}").Order(),
            process.Links.Select(l => $"{l.Context.TraceId}-{l.Context.SpanId}").Order());
        // Each link says which message it stands for: the offset its send span has (the partition is the span's).
        Assert.All(process.Links, link => Assert.Equal(
            sends.Single(s => s.SpanId == link.Context.SpanId).GetTagItem("messaging.kafka.offset"),
            Assert.Single(link.Tags!, t => t.Key == "messaging.kafka.offset").Value));
        Assert.All(process.Links, link => Assert.Equal(["messaging.kafka.offset"], link.Tags!.Select(t => t.Key)));
        AssertTags(process, new()
        {
            ["messaging.system"] = "kafka",
            ["messaging.operation.name"] = "process",
            ["messaging.operation.type"] = "process",
            ["messaging.destination.name"] = _topic,
            ["messaging.destination.partition.id"] = "1",
            ["messaging.batch.message_count"] = 3,
            ["messaging.consumer.group.name"] = "instrumentation-test-group",
            ["messaging.client.id"] = "instrumentation-test-consumer",
            ["server.address"] = "127.0.0.1",
            ["server.port"] = BootstrapPort,
            ["messaging.kafka.cluster.id"] = ClusterId(),
        });
        Assert.Null(process.GetTagItem("messaging.kafka.offset"));
        Assert.Null(process.GetTagItem("messaging.kafka.message.key"));

        var handlerWork = Assert.Single(_telemetry.Spans, s => s.DisplayName == "batch handler work");
        Assert.Equal((process.TraceId, process.SpanId), (handlerWork.TraceId, handlerWork.ParentSpanId));
        var log = Assert.Single(_telemetry.Logs, l => l.FormattedMessage == "Processing a batch of 3");
        Assert.Equal(process.TraceId, log.TraceId);

        Assert.Equal(3, MessagesCounted("messaging.client.consumed.messages"));
        AssertHistogram("messaging.process.duration", "s", expectedCount: 1);
        Assert.Equal("1", Tag(Assert.Single(Points("messaging.process.duration"), p => Tag(p, "messaging.destination.name") == _topic), "messaging.destination.partition.id"));
        // Each message's end-to-end latency runs from its creation until the batch's handler returned
        // (a Kafka timestamp keeps whole milliseconds, so up to 1 ms more).
        var endToEndSum = AssertHistogram("kafkao11y.message.end_to_end.duration", "s", expectedCount: 3);
        Assert.InRange(endToEndSum,
            created.Sum(at => (handlerReturned - at).TotalSeconds),
            created.Sum(at => (batchProcessed - at).TotalSeconds) + 3 * 0.001);
    }

    /// <summary>
    /// A batch from two partitions names neither on its span or its duration; a batch whose handler
    /// throws is marked failed, its duration recorded with the error type and no message's end-to-end
    /// latency (none was processed), and the exception reaches the caller.
    /// </summary>
    [Fact]
    public async Task A_batch_from_two_partitions_names_neither_and_a_failed_batch_records_its_error()
    {
        await Producer.ProduceAsync(new TopicPartition(_topic, 0), new Message<string, byte[]> { Key = "p0", Value = "{}"u8.ToArray() });
        await Producer.ProduceAsync(new TopicPartition(_topic, 2), new Message<string, byte[]> { Key = "p2", Value = "{}"u8.ToArray() });
        var batch = new[] { ConsumeOne(), ConsumeOne() };

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Consumer.ProcessBatchAsync(batch, (_, _) => throw new InvalidOperationException("cannot process the batch")));
        FlushTelemetry();

        Assert.Equal("cannot process the batch", failure.Message);
        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");
        Assert.Null(process.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(2, process.GetTagItem("messaging.batch.message_count"));
        // Not shared, the partition goes on each message's link, beside its offset.
        Assert.Equal(
            batch.Select(m => ((string?)m.Partition.Value.ToString(), (object?)m.Offset.Value)).Order(),
            process.Links.Select(l => ((string?)l.Tags!.Single(t => t.Key == "messaging.destination.partition.id").Value, l.Tags!.Single(t => t.Key == "messaging.kafka.offset").Value)).Order());
        Assert.Equal(ActivityStatusCode.Error, process.Status);
        Assert.Equal(typeof(InvalidOperationException).FullName, process.GetTagItem("error.type"));
        var duration = Assert.Single(Points("messaging.process.duration"), p => Tag(p, "messaging.destination.name") == _topic);
        Assert.Equal((null, typeof(InvalidOperationException).FullName), (Tag(duration, "messaging.destination.partition.id"), Tag(duration, "error.type")));
        Assert.DoesNotContain(_telemetry.Metrics, m => m.Name == "kafkao11y.message.end_to_end.duration"
            && CapturedTelemetry.Points(m).Any(p => Tag(p, "messaging.destination.name") == _topic));
        Assert.Equal(2, MessagesCounted("messaging.client.consumed.messages"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("batch", () => Consumer.ProcessBatchAsync([], (_, _) => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>("batch", () => Consumer.ProcessBatchAsync(null!, (_, _) => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>("process", () => Consumer.ProcessBatchAsync(batch, null!));
    }

    /// <summary>
    /// A batch from two topics names none: the span is <c>process</c>, with no destination or
    /// partition, none given to the sampler either; each link names its message's topic and
    /// partition; the batch's duration is recorded without a destination.
    /// </summary>
    [Fact]
    public async Task A_batch_from_two_topics_names_neither_and_each_link_names_its_messages_topic()
    {
        var otherTopic = $"{_topic}-other";
        _kafka.CreateTopic(new KafkaTopic(otherTopic, Partitions: 1));
        await Producer.ProduceAsync(new TopicPartition(_topic, 0), new Message<string, byte[]> { Key = "here", Value = "{}"u8.ToArray() });
        await Producer.ProduceAsync(new TopicPartition(otherTopic, 0), new Message<string, byte[]> { Key = "there", Value = "{}"u8.ToArray() });
        var batch = new[] { ConsumeOne(), Assert.Single(TopicReader.Read(_kafka.BootstrapServers, otherTopic, expected: 1, Timeout)) };

        await Consumer.ProcessBatchAsync(batch, (_, _) => Task.CompletedTask);
        FlushTelemetry();

        var process = Assert.Single(_telemetry.Spans, s => s.DisplayName == "process"
            && s.Links.Any(l => l.Tags!.Any(t => t.Key == "messaging.destination.name" && (string?)t.Value == _topic)));
        Assert.Null(process.GetTagItem("messaging.destination.name"));
        Assert.Null(process.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(
            [(_topic, "0"), (otherTopic, "0")],
            process.Links.Select(l => (
                (string?)l.Tags!.Single(t => t.Key == "messaging.destination.name").Value,
                (string?)l.Tags!.Single(t => t.Key == "messaging.destination.partition.id").Value)));
        var sampled = Assert.Single(_sampler.Seen, s => s.Name == "process").Tags;
        Assert.DoesNotContain(sampled, t => t.Key is "messaging.destination.name" or "messaging.destination.partition.id");
        Assert.Contains(sampled, t => t.Key == "messaging.consumer.group.name");
        var duration = Assert.Single(Points("messaging.process.duration"),
            p => Tag(p, "messaging.consumer.group.name") == "instrumentation-test-group" && Tag(p, "messaging.destination.name") is null);
        Assert.Equal(1, duration.GetHistogramCount());
    }

    /// <summary>
    /// A message with no value (a tombstone, which deletes its key in a compacted topic) is marked so
    /// on its send and process spans, and on its link from a batch span; others are not.
    /// </summary>
    [Fact]
    public async Task A_tombstone_is_marked_on_its_send_and_process_spans_and_on_its_batch_link()
    {
        foreach (var round in new[] { "single", "batch" })
        {
            await Producer.ProduceAsync(new TopicPartition(_topic, 0), new Message<string, byte[]> { Key = $"deleted-{round}", Value = null! });
            await Producer.ProduceAsync(new TopicPartition(_topic, 0), new Message<string, byte[]> { Key = $"kept-{round}", Value = "{}"u8.ToArray() });
        }

        await Consumer.ProcessAsync(ConsumeOne(), (_, _) => Task.CompletedTask);
        await Consumer.ProcessAsync(ConsumeOne(), (_, _) => Task.CompletedTask);
        await Consumer.ProcessBatchAsync([ConsumeOne(), ConsumeOne()], (_, _) => Task.CompletedTask);

        FlushTelemetry();
        var spans = _telemetry.Spans.Where(s => s.DisplayName == $"send {_topic}" || (s.DisplayName == $"process {_topic}" && s.Links.Count() == 1))
            .Select(s => ((string?)s.GetTagItem("messaging.kafka.message.key"), s.DisplayName.Split(' ')[0], s.GetTagItem("messaging.kafka.message.tombstone")))
            .Order().ToList();
        Assert.Equal(
            [
                ("deleted-batch", "send", (object?)true), ("deleted-single", "process", true), ("deleted-single", "send", true),
                ("kept-batch", "send", null), ("kept-single", "process", null), ("kept-single", "send", null),
            ],
            spans);
        var batchSpan = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}" && s.Links.Count() == 2);
        var sends = _telemetry.Spans.Where(s => s.DisplayName == $"send {_topic}").ToDictionary(s => s.SpanId, s => (string)s.GetTagItem("messaging.kafka.message.key")!);
        Assert.Equal(
            [("deleted-batch", (object?)true), ("kept-batch", null)],
            batchSpan.Links.Select(l => (sends[l.Context.SpanId], l.Tags!.FirstOrDefault(t => t.Key == "messaging.kafka.message.tombstone").Value)).Order());
    }

    /// <summary>
    /// A delivery report carries the message's key, value, timestamp and status but not its headers
    /// (which Confluent.Kafka would copy back from librdkafka for every message); a user who wants
    /// them widens <c>Kafka:Producer:DeliveryReportFields</c>.
    /// </summary>
    [Fact]
    public async Task Delivery_reports_leave_out_the_headers_unless_the_configuration_asks_for_them()
    {
        var message = new Message<string, byte[]> { Key = "reported", Value = "{}"u8.ToArray(), Headers = new Headers { { "app", "the sender's own"u8.ToArray() } } };
        var sent = await Producer.ProduceAsync(_topic, message);
        Assert.Equal(("reported", PersistenceStatus.Persisted), (sent.Message.Key, sent.Status));
        Assert.NotEqual(TimestampType.NotAvailable, sent.Message.Timestamp.Type);
        Assert.Same(message.Value, sent.Message.Value);
        Assert.Null(sent.Message.Headers);

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = _kafka.BootstrapServers;
        builder.Configuration["Kafka:Producer:DeliveryReportFields"] = "all";
        builder.Configuration["Kafka:DisableHealthChecks"] = "true";
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        using var widened = builder.Build();
        var reported = await widened.Services.GetRequiredService<IProducer<string, byte[]>>().ProduceAsync(_topic,
            new Message<string, byte[]> { Key = "reported", Value = "{}"u8.ToArray(), Headers = new Headers { { "app", "the sender's own"u8.ToArray() } } });
        Assert.Equal(["app", "traceparent"], reported.Message.Headers.Select(h => h.Key));
    }

    /// <summary>The spans and metrics carry the version of the conventions they follow, as their schema URL.</summary>
    [Fact]
    public async Task Spans_and_metrics_name_the_conventions_version_they_follow()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "schema", Value = "{}"u8.ToArray() });
        await Consumer.ProcessAsync(ConsumeOne(), (_, _) => Task.CompletedTask);
        FlushTelemetry();

        const string Version144 = "https://opentelemetry.io/schemas/1.44.0";
        var spans = _telemetry.Spans.Where(s => s.DisplayName == $"send {_topic}" || s.DisplayName == $"process {_topic}").ToList();
        Assert.Equal(2, spans.Count);
        Assert.All(spans, span => Assert.Equal(Version144, span.Source.TelemetrySchemaUrl));
        var instruments = ServiceInstruments.All().Where(i => i.Meter.Name == KafkaTelemetry.MeterName).ToList();
        Assert.NotEmpty(instruments);
        Assert.All(instruments, instrument => Assert.Equal(Version144, instrument.Meter.TelemetrySchemaUrl));
    }

    [Fact]
    public async Task Processing_sees_the_producers_baggage_not_the_callers()
    {
        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["tenant"] = "blue" });
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-3", Value = "{}"u8.ToArray() });
        var consumed = ConsumeOne();

        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["caller"] = "worker" });
        (string? Tenant, string? Caller) seen = default;
        await Consumer.ProcessAsync(consumed, (_, _) =>
        {
            seen = (Baggage.GetBaggage("tenant"), Baggage.GetBaggage("caller"));
            return Task.CompletedTask;
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Consumer.ProcessAsync(consumed, (_, _) => throw new InvalidOperationException("cannot process")));

        Assert.Equal(("blue", null), seen);
        // The caller keeps its own baggage, after success and failure alike. Not a given: OpenTelemetry
        // keeps Baggage.Current in a holder shared with the caller, so ProcessAsync must restore it.
        Assert.Equal("worker", Baggage.GetBaggage("caller"));
        Assert.Null(Baggage.GetBaggage("tenant"));

        // A caller without baggage: the producer's still arrives, and is gone afterwards.
        Baggage.Current = default;
        await Consumer.ProcessAsync(consumed, (_, _) =>
        {
            seen = (Baggage.GetBaggage("tenant"), Baggage.GetBaggage("caller"));
            return Task.CompletedTask;
        });
        Assert.Equal(("blue", null), seen);
        Assert.Equal(0, Baggage.Current.Count);

        // A message without baggage: the caller's does not leak into its processing.
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-3", Value = "{}"u8.ToArray() });
        var withoutBaggage = ConsumeOne();
        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["caller"] = "worker" });
        await Consumer.ProcessAsync(withoutBaggage, (_, _) =>
        {
            seen = (Baggage.GetBaggage("tenant"), Baggage.GetBaggage("caller"));
            return Task.CompletedTask;
        });
        Assert.Equal((null, null), seen);
        Assert.Equal("worker", Baggage.GetBaggage("caller"));
    }

    [Fact]
    public async Task Processing_refuses_missing_arguments()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-7", Value = "{}"u8.ToArray() });
        var consumed = ConsumeOne();

        await Assert.ThrowsAsync<ArgumentNullException>("consumer", () => KafkaConsumerInstrumentation.ProcessAsync(null!, consumed, (_, _) => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>("consumed", () => Consumer.ProcessAsync(null!, (_, _) => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>("process", () => Consumer.ProcessAsync(consumed, null!));
    }

    /// <summary>
    /// A send with a delivery handler (Produce, not ProduceAsync): its span ends when Kafka answers,
    /// with the partition and offset, or with Kafka's error as its status and error type when the
    /// message is not delivered; the handler gets the report either way, and the caller's span stays
    /// current after Produce returns.
    /// </summary>
    [Fact]
    public async Task A_send_with_a_delivery_handler_ends_its_span_when_kafka_answers()
    {
        // Continuations off the clients' own threads: a test that disposed a client from its own delivery thread would wait for itself.
        var delivered = new TaskCompletionSource<DeliveryReport<string, byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var caller = Caller.StartActivity("a caller"))
        {
            Producer.Produce(_topic, new Message<string, byte[]> { Key = "handled", Value = "{}"u8.ToArray() }, delivered.SetResult);
            Assert.Same(caller, Activity.Current);
        }

        var report = await delivered.Task.WaitAsync(Timeout);

        using var unreachable = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = $"127.0.0.1:{ClosedPort.Next()}",
            MessageTimeoutMs = 1_000,
        }).Build();
        var failing = new InstrumentedProducer<string, byte[]>(unreachable, KafkaClientInfo.Unknown);
        var undelivered = new TaskCompletionSource<DeliveryReport<string, byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        failing.Produce(_topic, new Message<string, byte[]> { Key = "undelivered", Value = "{}"u8.ToArray() }, undelivered.SetResult);
        var failedReport = await undelivered.Task.WaitAsync(Timeout);
        FlushTelemetry();

        Assert.False(report.Error.IsError);
        var sent = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}" && (string?)s.GetTagItem("messaging.kafka.message.key") == "handled");
        Assert.Equal((report.Partition.Value.ToString(), report.Offset.Value), ((string?)sent.GetTagItem("messaging.destination.partition.id"), (long?)sent.GetTagItem("messaging.kafka.offset")));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failedReport.Error.Code);
        var failed = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}" && (string?)s.GetTagItem("messaging.kafka.message.key") == "undelivered");
        Assert.Equal((ActivityStatusCode.Error, "Local_MsgTimedOut", "Local_MsgTimedOut"), (failed.Status, failed.StatusDescription, (string?)failed.GetTagItem("error.type")));
    }

    /// <summary>Partition ids are strings, as the conventions say, beyond the first 256 partitions as well.</summary>
    [Fact]
    public async Task Partition_ids_past_255_are_written_as_they_are()
    {
        var manyPartitions = $"{_topic}-wide";
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic(manyPartitions, Partitions: 300)]);
        using var inner = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        var producer = new InstrumentedProducer<string, byte[]>(inner, KafkaClientInfo.Unknown);

        foreach (var partition in new[] { 255, 256, 299 })
        {
            await producer.ProduceAsync(new TopicPartition(manyPartitions, partition), new Message<string, byte[]> { Key = $"{partition}", Value = "{}"u8.ToArray() });
        }

        FlushTelemetry();
        Assert.Equal(["255", "256", "299"], _telemetry.Spans.Where(s => s.DisplayName == $"send {manyPartitions}").Select(s => (string?)s.GetTagItem("messaging.destination.partition.id")).Order());
    }

    /// <summary>A disposed producer is closed, and its librdkafka statistics stop being reported.</summary>
    [Fact]
    public async Task A_disposed_producer_is_closed_and_stops_reporting_its_statistics()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-8", Value = "{}"u8.ToArray() });
        var clientName = Producer.Name;
        await Poll.UntilAsync(() =>
        {
            FlushTelemetry();
            return ClientPoints("messaging.kafka.client.requests", clientName).Count > 0;
        }, Timeout, "the producer's request statistics to be reported");

        Producer.Dispose();
        // Three statistics intervals: a producer still running would have reported again.
        await Task.Delay(300);
        _telemetry.ClearMetrics();
        FlushTelemetry();

        Assert.Empty(ClientPoints("messaging.kafka.client.requests", clientName));
        Assert.Throws<ObjectDisposedException>(() => Producer.Flush(TimeSpan.Zero));
    }

    [Fact]
    public async Task Messaging_metrics_are_recorded_with_convention_names_and_units()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]>
        {
            Key = "key-2",
            Value = "{}"u8.ToArray(),
            Timestamp = new Timestamp(DateTime.UtcNow),
        });
        var consumed = ConsumeOne();
        await Consumer.ProcessAsync(consumed, (_, _) => Task.Delay(10));
        Consumer.StoreOffset(consumed);

        // Give librdkafka a few statistics intervals (100 ms here) to report. A consumer delivers its
        // statistics from within Consume, as the Consumer service's loop calls it all the time.
        await Poll.UntilAsync(() =>
        {
            Consumer.Consume(TimeSpan.FromMilliseconds(50));
            FlushTelemetry();
            return _telemetry.Metrics.Any(m => m.Name == "messaging.kafka.consumer.lag")
                && _telemetry.Metrics.Any(m => m.Name == "messaging.kafka.client.broker.rtt.average");
        }, Timeout, "the consumer's lag and broker round-trip statistics to be reported");

        Assert.Equal(1, MessagesCounted("messaging.client.sent.messages"));
        Assert.Equal(1, MessagesCounted("messaging.client.consumed.messages"));
        AssertHistogram("messaging.client.operation.duration", "s", expectedCount: 1);
        AssertHistogram("messaging.process.duration", "s", expectedCount: 1);
        var endToEnd = AssertHistogram("kafkao11y.message.end_to_end.duration", "s", expectedCount: 1);
        Assert.InRange(endToEnd, 0.010, 30);

        Assert.Equal("{message}", Metric("messaging.kafka.client.queue.messages").Unit);
        Assert.Equal("By", Metric("messaging.kafka.client.sent.bytes").Unit);
        Assert.True(SumOfCounter("messaging.kafka.client.requests") > 0);
        Assert.True(SumOfCounter("messaging.kafka.client.received.bytes") > 0);
        var lagPartitions = Points("messaging.kafka.consumer.lag")
            .Select(p => Tag(p, "messaging.destination.partition.id")).ToHashSet();
        Assert.Contains(consumed.Partition.Value.ToString(), lagPartitions);
    }

    /// <summary>
    /// A message sent inside a request whose trace was not sampled: no span is recorded on either
    /// side, yet the header carries the request's context with the sampled flag clear, the processing
    /// runs in that trace (its logs carry the trace id, and what it sends on is not sampled either),
    /// and the metrics count the message as any other.
    /// </summary>
    [Fact]
    public async Task An_unsampled_message_records_no_span_but_keeps_its_trace_and_its_metrics()
    {
        var upstream = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        ActivitySpanId requestSpanId;
        using (var request = Caller.StartActivity("POST /messages", ActivityKind.Server, upstream))
        {
            Assert.NotNull(request);
            Assert.False(request.Recorded);
            requestSpanId = request.SpanId;
            await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "unsampled", Value = "{}"u8.ToArray() });
        }

        var consumed = ConsumeOne();
        var header = KafkaHeaderPropagation.Extract(consumed.Message.Headers).ActivityContext;
        Assert.Equal(upstream.TraceId, header.TraceId);
        Assert.Equal(requestSpanId, header.SpanId);
        Assert.Equal(ActivityTraceFlags.None, header.TraceFlags);

        Activity? processing = null;
        await Consumer.ProcessAsync(consumed, (_, _) =>
        {
            processing = Activity.Current;
            return Task.CompletedTask;
        });
        Assert.NotNull(processing);
        Assert.Equal(upstream.TraceId, processing.TraceId);
        Assert.False(processing.Recorded);

        FlushTelemetry();
        Assert.DoesNotContain(_telemetry.Spans, span => span.TraceId == upstream.TraceId);
        Assert.Equal(1, MessagesCounted("messaging.client.sent.messages"));
        Assert.Equal(1, MessagesCounted("messaging.client.consumed.messages"));
        AssertHistogram("messaging.client.operation.duration", "s", expectedCount: 1);
        AssertHistogram("messaging.process.duration", "s", expectedCount: 1);
    }

    [Fact]
    public async Task Failed_send_and_failed_processing_set_error_status_and_error_type()
    {
        var tooLarge = new byte[2 * 1024 * 1024]; // over the producer's default message.max.bytes (1 MB)
        var failure = await Assert.ThrowsAsync<ProduceException<string, byte[]>>(() =>
            Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "big", Value = tooLarge }));

        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "poison", Value = "{}"u8.ToArray() });
        var consumed = ConsumeOne();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Consumer.ProcessAsync(consumed, (_, _) => throw new InvalidOperationException("cannot process")));
        FlushTelemetry();

        var failedSend = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}" && s.Status == ActivityStatusCode.Error);
        Assert.Equal(failure.Error.Code.ToString(), failedSend.GetTagItem("error.type"));
        var failedProcess = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}");
        Assert.Equal((ActivityStatusCode.Error, "cannot process"), (failedProcess.Status, failedProcess.StatusDescription));
        Assert.Equal(typeof(InvalidOperationException).FullName, failedProcess.GetTagItem("error.type"));
        var exception = Assert.Single(failedProcess.Events, e => e.Name == "exception");
        Assert.Equal("cannot process", exception.Tags.Single(t => t.Key == "exception.message").Value);
        Assert.Contains(Points("messaging.client.sent.messages"),
            p => Tag(p, "messaging.destination.name") == _topic && Tag(p, "error.type") == failure.Error.Code.ToString() && p.GetSumLong() == 1);

        // Each failure is timed too, with its error type.
        Assert.Equal(1, Points("messaging.client.operation.duration")
            .Where(p => Tag(p, "messaging.destination.name") == _topic && Tag(p, "error.type") == failure.Error.Code.ToString()).Sum(p => p.GetHistogramCount()));
        Assert.Equal(1, Points("messaging.process.duration")
            .Where(p => Tag(p, "messaging.destination.name") == _topic && Tag(p, "error.type") == typeof(InvalidOperationException).FullName).Sum(p => p.GetHistogramCount()));
    }

    /// <summary>
    /// A send that fails with something other than Kafka's ProduceException still ends its span with
    /// an error status and the exception's type, and is counted as a failed send. Here: delivery
    /// reports are switched off, so Confluent.Kafka refuses the delivery handler every traced send
    /// needs with an InvalidOperationException.
    /// </summary>
    [Fact]
    public void A_send_that_throws_any_exception_ends_its_span_with_an_error()
    {
        using var inner = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            EnableDeliveryReports = false,
        }).Build();
        var producer = new InstrumentedProducer<string, byte[]>(inner, KafkaClientInfo.Unknown);

        var thrown = Record.Exception(() => producer.Produce(_topic, new Message<string, byte[]> { Key = "late", Value = "{}"u8.ToArray() }));
        FlushTelemetry();

        Assert.NotNull(thrown);
        Assert.IsNotType<ProduceException<string, byte[]>>(thrown);
        var send = Assert.Single(_telemetry.Spans, s => s.DisplayName == $"send {_topic}");
        Assert.Equal(ActivityStatusCode.Error, send.Status);
        Assert.Equal(thrown.GetType().FullName, send.GetTagItem("error.type"));
        Assert.Contains(Points("messaging.client.sent.messages"),
            p => Tag(p, "messaging.destination.name") == _topic && Tag(p, "error.type") == thrown.GetType().FullName && p.GetSumLong() == 1);
    }

    /// <summary>
    /// librdkafka's own errors and log lines (here: the broker going away) reach OpenTelemetry as
    /// log records of category <c>KafkaO11y.Kafka</c>, at a level that says how bad, rather than the
    /// process's stderr.
    /// </summary>
    [Fact]
    public async Task A_broker_going_down_is_logged_by_the_clients_as_errors_through_ILogger()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-6", Value = "{}"u8.ToArray() });
        ConsumeOne();

        // librdkafka reports the lost connection (Local_Transport) and, once every handle on the
        // broker (the bootstrap one and broker 1) is down at the same moment, Local_AllBrokersDown;
        // under load the handles reconnect out of step and the second may come late or not at all.
        string[] brokerGone = [nameof(ErrorCode.Local_Transport), nameof(ErrorCode.Local_AllBrokersDown)];
        _kafka.SetBrokerDown(1);
        try
        {
            // Both clients keep asking the broker for something, so neither sees only an idle connection
            // closing (which librdkafka does not report as an error).
            await Poll.UntilAsync(() =>
            {
                Producer.Produce(_topic, new Message<string, byte[]> { Key = "while-down", Value = "{}"u8.ToArray() });
                Consumer.Consume(TimeSpan.FromMilliseconds(50));
                FlushTelemetry();
                return ClientErrors().Any(l => brokerGone.Contains(Code(l)));
            }, Timeout, () => "the clients to log that the broker is gone; their last log records: "
                + string.Join(" | ", _telemetry.Logs.ToList().Where(l => l.CategoryName == "KafkaO11y.Kafka").Select(l => $"{l.LogLevel} {l.FormattedMessage}").TakeLast(10)));
        }
        finally
        {
            _kafka.SetBrokerUp(1);
        }

        var error = ClientErrors().First(l => brokerGone.Contains(Code(l)));
        Assert.Equal(LogLevel.Error, error.LogLevel);
        Assert.Contains($" error {Code(error)}: ", error.FormattedMessage);

        static string? Code(LogRecord record) => record.Attributes?.FirstOrDefault(a => a.Key == "Code").Value?.ToString();

        IEnumerable<LogRecord> ClientErrors() =>
            _telemetry.Logs.Where(l => l.CategoryName == "KafkaO11y.Kafka" && l.LogLevel >= LogLevel.Error).ToList();
    }

    /// <summary>
    /// A fatal error, after which the client is unusable, is logged at Critical: the one client log
    /// a service cannot recover from. A real fatal error cannot be provoked on demand (librdkafka says
    /// so), so the test raises one with librdkafka's own call for tests, rd_kafka_test_fatal_error,
    /// on the real producer: from there on it is librdkafka's error callback, as in production.
    /// </summary>
    [Fact]
    public async Task A_fatal_client_error_is_logged_at_critical()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-7", Value = "{}"u8.ToArray() });
        Assert.Equal(ErrorCode.NoError, LibrdkafkaForTests.RaiseFatalError(Producer, ErrorCode.OutOfOrderSequenceNumber, "raised by the test"));

        await Poll.UntilAsync(() =>
        {
            Producer.Poll(TimeSpan.FromMilliseconds(50));
            FlushTelemetry();
            return _telemetry.Logs.ToList().Any(IsFatal);
        }, Timeout, () => "the producer to log the fatal error; its last log records: "
            + string.Join(" | ", _telemetry.Logs.ToList().Where(l => l.CategoryName == KafkaClientLogging.Category).Select(l => $"{l.LogLevel} {l.FormattedMessage}").TakeLast(10)));

        var fatal = _telemetry.Logs.ToList().First(IsFatal);
        Assert.Equal(LogLevel.Critical, fatal.LogLevel);
        Assert.Contains("raised by the test", fatal.FormattedMessage);

        static bool IsFatal(LogRecord log) => log.CategoryName == KafkaClientLogging.Category
            && log.Attributes?.Any(a => a.Key == "IsFatal" && a.Value is true) == true;
    }

    /// <summary>
    /// A statistics document the metrics cannot read (a field missing, as a librdkafka that renamed
    /// one would send, or not JSON at all) is logged and skipped. Confluent.Kafka rethrows whatever
    /// the statistics handler throws from the consumer's next <c>Consume</c>, which would end the
    /// Consumer's loop: so the handler must not throw, and the consumer and its metrics go on.
    /// </summary>
    [Fact]
    public async Task A_statistics_document_that_cannot_be_read_is_logged_and_skipped_and_the_consumer_goes_on()
    {
        var statistics = _host.Services.GetRequiredService<KafkaStatisticsCollector>();
        var client = new KafkaClientInfo("instrumentation-test-consumer", null, null, "instrumentation-test-group");
        // What librdkafka's callback hands over, on the thread that calls Consume.
        statistics.Receive(client, """{"name": "instrumentation-test-consumer#consumer-99", "type": "consumer", "msg_cnt": 0}""");
        statistics.Receive(client, "not JSON");

        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-5", Value = "{}"u8.ToArray() });
        ConsumeOne();
        await Poll.UntilAsync(() =>
        {
            Consumer.Consume(TimeSpan.FromMilliseconds(50));
            FlushTelemetry();
            return _telemetry.Metrics.Any(m => m.Name == "messaging.kafka.client.requests")
                && _telemetry.Logs.Count(IsSkippedDocument) == 2;
        }, Timeout, "the good statistics to be reported and the two bad documents to be logged");

        Assert.Contains(_telemetry.Logs.Where(IsSkippedDocument), l => l.LogLevel == LogLevel.Warning && l.FormattedMessage!.Contains("msg_size", StringComparison.Ordinal));
        Assert.Empty(ClientPoints("messaging.kafka.client.requests", "instrumentation-test-consumer#consumer-99"));

        static bool IsSkippedDocument(LogRecord log) =>
            log.FormattedMessage?.StartsWith("Skipped a librdkafka statistics document", StringComparison.Ordinal) == true;
    }

    /// <summary>
    /// A consumer that has been closed has left its group: its librdkafka statistics (requests, lag)
    /// stop being reported instead of showing its last values for the rest of the process.
    /// </summary>
    [Fact]
    public async Task A_closed_consumer_stops_reporting_its_statistics()
    {
        await Producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "key-4", Value = "{}"u8.ToArray() });
        ConsumeOne();
        var clientName = Consumer.Name;
        await Poll.UntilAsync(() =>
        {
            Consumer.Consume(TimeSpan.FromMilliseconds(50));
            FlushTelemetry();
            return ClientPoints("messaging.kafka.client.requests", clientName).Count > 0;
        }, Timeout, "the consumer's request statistics to be reported");

        Consumer.Close();
        _telemetry.ClearMetrics();
        FlushTelemetry();

        Assert.Empty(ClientPoints("messaging.kafka.client.requests", clientName));
        Assert.Empty(ClientPoints("messaging.kafka.consumer.lag", clientName));
    }

    /// <summary>The points of a metric reported for one client, over every export since the last clear.</summary>
    private List<MetricPoint> ClientPoints(string name, string clientName) =>
        [.. _telemetry.Metrics.Where(m => m.Name == name).SelectMany(CapturedTelemetry.Points).Where(p => Tag(p, "messaging.client.id") == clientName)];

    private ConsumeResult<string, byte[]> ConsumeOne()
    {
        // Once: subscribing again would start a rebalance.
        if (Consumer.Subscription.Count == 0)
        {
            Consumer.Subscribe(_topic);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            var result = Consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is { IsPartitionEOF: false })
            {
                return result;
            }
        }

        throw new TimeoutException($"No message consumed from {_topic} within {Timeout}.");
    }

    private void FlushTelemetry() => _telemetry.Flush(_host);

    private Metric Metric(string name) => _telemetry.Metrics.Last(m => m.Name == name);

    private IReadOnlyList<MetricPoint> Points(string name) => CapturedTelemetry.Points(Metric(name));

    /// <summary>A message counter's count for this test's topic.</summary>
    private long MessagesCounted(string name) =>
        Points(name).Where(p => Tag(p, "messaging.destination.name") == _topic).Sum(p => p.GetSumLong());

    private long SumOfCounter(string name) => Points(name).Sum(p => p.GetSumLong());

    private double AssertHistogram(string name, string unit, long expectedCount)
    {
        Assert.Equal(unit, Metric(name).Unit);
        var points = Points(name).Where(p => Tag(p, "messaging.destination.name") == _topic).ToList();
        Assert.Equal(expectedCount, points.Sum(p => p.GetHistogramCount()));
        return points.Sum(p => p.GetHistogramSum());
    }

    private static string? Tag(MetricPoint point, string key) => CapturedTelemetry.Tag(point, key);

    /// <summary>The cluster's id as the broker tells a client of its own (which asks it for metadata).</summary>
    private string ClusterId()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var id = admin.ClusterId(TimeSpan.FromSeconds(10));
        Assert.False(string.IsNullOrEmpty(id), "the embedded broker told no cluster id");
        return id;
    }

    private int BootstrapPort => int.Parse(_kafka.BootstrapServers.Split(',')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertTags(Activity span, Dictionary<string, object> expected)
    {
        var keys = span.TagObjects.Select(t => t.Key).ToList();
        Assert.True(keys.Count == keys.Distinct().Count(), $"{span.DisplayName} has an attribute twice: {string.Join(", ", keys)}.");
        foreach (var (key, value) in expected)
        {
            Assert.True(span.TagObjects.Any(t => t.Key == key), $"{span.DisplayName} lacks the attribute {key}.");
            Assert.Equal(value, span.GetTagItem(key));
        }
    }

    /// <summary>Records the attributes each span starts with, and decides as the test host's usual sampler would.</summary>
    private sealed class StartTagsRecordingSampler : Sampler
    {
        private readonly ParentBasedSampler _decider = new(new AlwaysOnSampler());
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Name, KeyValuePair<string, object>[] Tags)> _seen = new();

        public IReadOnlyList<(string Name, KeyValuePair<string, object>[] Tags)> Seen => [.. _seen];

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            _seen.Enqueue((samplingParameters.Name, [.. (samplingParameters.Tags ?? []).Select(t => new KeyValuePair<string, object>(t.Key, t.Value!))]));
            return _decider.ShouldSample(samplingParameters);
        }
    }

    public void Dispose()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
        _kafka.Dispose();
    }
}
