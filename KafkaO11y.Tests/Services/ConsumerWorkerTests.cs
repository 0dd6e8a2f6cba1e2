using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// The Consumer's worker, processor and dead-letter publisher in this process, on the embedded
/// broker, committing every 100 ms: what is committed and what is dead-lettered, message by message,
/// and the spans, metrics and logs that say so. The same promises as the end-to-end fault tests, at a
/// level a mutation tool can reach. <see cref="ConsumerWorkerBatchTests"/> runs each again in batch mode.
/// </summary>
public class ConsumerWorkerTests : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _topic = $"consumer-worker-{Guid.NewGuid():N}";
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly IProducer<string, byte[]?> _writer;
    private readonly CapturedTelemetry _telemetry = new();
    private readonly IHost _consumer;

    public ConsumerWorkerTests()
        : this(batchSize: 1)
    {
    }

    /// <summary>The worker with <c>Processing:BatchSize</c> set: above 1, the messages ready together share a batch span.</summary>
    protected ConsumerWorkerTests(int batchSize)
    {
        BatchSize = batchSize;
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1,
            [new KafkaTopic(_topic, Partitions: 1), new KafkaTopic(MessageTopics.DeadLetterOf(_topic), Partitions: 1)]);
        _writer = new ProducerBuilder<string, byte[]?>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        _consumer = InProcessConsumer.Start(_kafka.BootstrapServers, _topic,
            builder =>
            {
                builder.Configuration["Processing:RetryBackoffMilliseconds"] = "1";
                builder.Configuration["Processing:BatchSize"] = $"{batchSize}";
                _telemetry.AddTo(builder);
            });
    }

    protected int BatchSize { get; }

    protected string Topic => _topic;

    protected EmbeddedKafkaCluster Kafka => _kafka;

    protected ProcessingStats Stats => _consumer.Services.GetRequiredService<ProcessingStats>();

    protected ProcessingControl Control => _consumer.Services.GetRequiredService<ProcessingControl>();

    private protected CapturedTelemetry Telemetry => _telemetry;

    /// <summary>
    /// While a message is in progress the group's commit stays at it (ten commit intervals are
    /// watched), and once it is done the commit passes it: a crash meanwhile would redo it, never skip it.
    /// </summary>
    [Fact]
    public async Task The_commit_stays_at_a_message_in_progress_and_passes_it_once_it_is_done()
    {
        await SendAsync(MessageBodies.Valid());
        await Poll.UntilAsync(CommittedAsync, committed => committed == 1, Timeout, "the first message to be committed");
        Assert.Equal(LogLevel.Information, Assert.Single(_telemetry.LogsStartingWith($"Subscribed to {_topic}")).LogLevel);

        Control.Update(new ProcessingUpdate(DelayMilliseconds: 3_000, FailureRate: null));
        await SendAsync(MessageBodies.Valid());
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 1, Timeout, "the second message to be in progress");
        var whileInProgress = new List<long>();
        for (var look = 0; look < 10 && Stats.Snapshot("").Current?.Offset == 1; look++)
        {
            whileInProgress.Add(await CommittedAsync());
            await Task.Delay(100);
        }

        Assert.True(whileInProgress.Count > 0 && whileInProgress.All(c => c == 1),
            $"committed {string.Join(", ", whileInProgress)} while offset 1 was in progress");
        await Poll.UntilAsync(CommittedAsync, committed => committed == 2, Timeout, "the second message to be committed once processed");
        Assert.Equal((2, 0), (Stats.Snapshot("").Processed, Stats.Snapshot("").Failed));
    }

    /// <summary>
    /// A malformed message and one whose work keeps failing go to the dead-letter topic as they
    /// were sent (key, value, timestamp, the sender's headers) with where they came from and why;
    /// the malformed one is not retried, the failing one is (a <c>retry</c> event per attempt), and
    /// the worker moves past both. Each dead letter stays in its message's trace: its
    /// <c>traceparent</c> names the Consumer's dead-letter send, a child of the message's process
    /// span, and the sender's own <c>traceparent</c> is kept beside it; each is counted and logged there.
    /// </summary>
    [Fact]
    public async Task A_message_that_cannot_be_processed_is_dead_lettered_as_it_was_sent_with_the_reason_in_its_trace_and_the_worker_moves_on()
    {
        var sentAt = new Timestamp(DateTimeOffset.UtcNow.AddMinutes(-30));
        var malformedSender = SenderContext();
        await SendAsync("not JSON"u8.ToArray(), key: "malformed", sentAt, malformedSender);
        await Poll.UntilAsync(CommittedAsync, committed => committed == 1, Timeout, "the malformed message to be committed past");

        Control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 1));
        var failing = MessageBodies.Valid();
        var failingSender = SenderContext();
        await SendAsync(failing, key: "failing", sentAt, failingSender);
        await Poll.UntilAsync(CommittedAsync, committed => committed == 2, Timeout, "the failing message to be committed past");
        Control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 0));
        var validSender = SenderContext();
        await SendAsync(MessageBodies.Valid(), key: "valid", sender: validSender);
        await Poll.UntilAsync(CommittedAsync, committed => committed == 3, Timeout, "the next message to be processed");

        var letters = TopicReader.Read(_kafka.BootstrapServers, MessageTopics.DeadLetterOf(_topic), expected: 2, Timeout);
        var malformed = letters.Single(l => l.Message.Key == "malformed");
        Assert.Equal("not JSON", Encoding.UTF8.GetString(malformed.Message.Value));
        Assert.Equal((typeof(InvalidMessageException).FullName, "0"), (Header(malformed, DeadLetterHeaders.ErrorType), Header(malformed, DeadLetterHeaders.SourceOffset)));
        Assert.Contains("not valid JSON", Header(malformed, DeadLetterHeaders.ErrorMessage));
        var failed = letters.Single(l => l.Message.Key == "failing");
        Assert.Equal(failing, failed.Message.Value);
        Assert.Equal((typeof(SimulatedProcessingException).FullName, "1"), (Header(failed, DeadLetterHeaders.ErrorType), Header(failed, DeadLetterHeaders.SourceOffset)));
        Assert.StartsWith("Simulated processing failure", Header(failed, DeadLetterHeaders.ErrorMessage));
        Assert.All(letters, letter =>
        {
            Assert.Equal(sentAt.UnixTimestampMs, letter.Message.Timestamp.UnixTimestampMs);
            Assert.Equal("sender's own", Header(letter, "x-sender"));
            Assert.Equal(_topic, Header(letter, DeadLetterHeaders.SourceTopic));
            Assert.Equal("0", Header(letter, DeadLetterHeaders.SourcePartition));
        });
        Assert.Equal((1, 2), (Stats.Snapshot("").Processed, Stats.Snapshot("").Failed));

        // The malformed message is tried once; the failing one three times (Processing:MaxAttempts),
        // with a retry event after each failed attempt but the last, naming the attempt that failed.
        var malformedProcess = AssertDeadLetterInTrace(malformed, malformedSender, nameof(InvalidMessageException));
        Assert.DoesNotContain(malformedProcess.Events, e => e.Name == "retry");
        var failedProcess = AssertDeadLetterInTrace(failed, failingSender, nameof(SimulatedProcessingException));
        var retries = failedProcess.Events.Where(e => e.Name == "retry").ToList();
        Assert.Equal(new[] { 1, 2 }, retries.Select(e => (int)e.Tags.Single(t => t.Key == "attempt").Value!));
        // Each names its wait before the next attempt: jittered, not the bare doubling of the 1 ms
        // backoff, so replicas failing on the same cause do not retry in step.
        var waits = retries.Select(e => (double)e.Tags.Single(t => t.Key == "delay_ms").Value!).ToList();
        Assert.All(waits, wait => Assert.True(wait > 0, $"waited {wait} ms"));
        Assert.NotEqual(new[] { 1.0, 2.0 }, waits);

        var processed = Assert.Single(_telemetry.LogsStartingWith("Processed message"));
        Assert.Equal((LogLevel.Information, ProcessSpanOf(validSender).TraceId), (processed.LogLevel, processed.TraceId));
        Assert.Contains($"from {_topic} partition 0 offset 2", processed.FormattedMessage);
    }

    /// <summary>
    /// A consume error (a fetch the broker answers with an error) is logged as a warning, and the
    /// worker goes on: the next message is processed.
    /// </summary>
    [Fact]
    public async Task A_consume_error_is_logged_and_the_worker_goes_on()
    {
        await SendAsync(MessageBodies.Valid());
        await Poll.UntilAsync(CommittedAsync, committed => committed == 1, Timeout, "the first message to be processed");
        // The next fetch, a reading consumer's, is answered with an error.
        _kafka.FailRequests(_topic, KafkaRequest.Fetch, KafkaErrorCode.RequestTimedOut, count: 1);
        var errors = await Poll.UntilAsync(() => Task.FromResult(_telemetry.LogsStartingWith($"Kafka consume error {ErrorCode.RequestTimedOut}")),
            logged => logged.Count > 0, Timeout, "the consume error to be logged");
        Assert.Equal(LogLevel.Warning, Assert.Single(errors).LogLevel);

        await SendAsync(MessageBodies.Valid());
        await Poll.UntilAsync(CommittedAsync, committed => committed == 2, Timeout, "the next message to be processed");
    }

    /// <summary>
    /// A stop (the service shutting down) while a message is in progress leaves it uncommitted and
    /// not dead-lettered: the next member of the group processes it.
    /// </summary>
    [Fact]
    public async Task A_message_in_progress_at_shutdown_is_neither_committed_nor_dead_lettered()
    {
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 10_000, FailureRate: null));
        await SendAsync(MessageBodies.Valid());
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 0, Timeout, "the message to be in progress");

        await _consumer.StopAsync();

        Assert.Single(_telemetry.LogsStartingWith("Committed offsets and left the consumer group"));
        using var nextMember = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = $"{_topic}-group",
        }).Build();
        var committed = nextMember.Committed([new TopicPartition(_topic, 0)], TimeSpan.FromSeconds(5)).Single().Offset;
        Assert.True(committed == Offset.Unset, $"committed {committed} although offset 0 was still in progress at shutdown");
        var deadLetters = nextMember.QueryWatermarkOffsets(new TopicPartition(MessageTopics.DeadLetterOf(_topic), 0), TimeSpan.FromSeconds(5));
        Assert.Equal(0, deadLetters.High.Value);
        Assert.Equal((0, 0), (Stats.Snapshot("").Processed, Stats.Snapshot("").Failed));
    }

    /// <summary>
    /// Checks that a dead letter continues its message's trace (sender -> process -> dead-letter send)
    /// and keeps the sender's traceparent, that it was counted by error type, and that its log line
    /// belongs to the process span; returns the process span.
    /// </summary>
    protected Activity AssertDeadLetterInTrace(ConsumeResult<string, byte[]> letter, ActivityContext sender, string errorType)
    {
        Assert.Equal(Traceparent(sender), Header(letter, DeadLetterHeaders.SourceTraceparent));
        var process = ProcessSpanOf(sender);
        var deadLetterSend = Assert.Single(_telemetry.Spans, s => s.TraceId == process.TraceId && s.DisplayName == $"send {MessageTopics.DeadLetterOf(_topic)}");
        Assert.Equal(process.SpanId, deadLetterSend.ParentSpanId);
        Assert.Equal(Traceparent(deadLetterSend.Context), Header(letter, KafkaHeaderPropagation.TraceParentHeader));
        if (BatchSize == 1)
        {
            Assert.Equal(ActivityStatusCode.Error, process.Status);
        }
        else
        {
            // A batch whose message was dead-lettered was handled: the failure is an event on it, not its status.
            Assert.Equal(ActivityStatusCode.Unset, process.Status);
            Assert.Contains(process.Events, e => e.Name == "exception" && e.Tags.Any(t => t.Key == "exception.type" && (string?)t.Value == $"KafkaO11y.Consumer.{errorType}"));
        }

        var fullErrorType = $"KafkaO11y.Consumer.{errorType}";
        Assert.Equal(1, _telemetry.CounterSum(_consumer, "kafkao11y.messages.dead_lettered",
            ("messaging.system", "kafka"), ("messaging.destination.name", _topic), ("error.type", fullErrorType)));
        var logged = Assert.Single(_telemetry.LogsStartingWith($"Dead-lettered {_topic} partition 0 offset {Header(letter, DeadLetterHeaders.SourceOffset)} "));
        Assert.Equal((LogLevel.Warning, process.TraceId, process.SpanId), (logged.LogLevel, logged.TraceId, logged.SpanId));
        Assert.Contains(fullErrorType, logged.FormattedMessage);
        return process;
    }

    /// <summary>
    /// The span the sender's message was processed in: one by one, the message's own process span,
    /// a child of the sender's; in batch mode, the batch's, which links to it.
    /// </summary>
    protected Activity ProcessSpanOf(ActivityContext sender) => BatchSize == 1
        ? Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}" && s.ParentSpanId == sender.SpanId && s.TraceId == sender.TraceId)
        : Assert.Single(_telemetry.Spans, s => s.DisplayName == $"process {_topic}" && s.GetTagItem("messaging.batch.message_count") is int
            && s.Links.Any(l => l.Context.SpanId == sender.SpanId));

    protected static ActivityContext SenderContext() =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

    protected static string Traceparent(ActivityContext context) => $"00-{context.TraceId}-{context.SpanId}-01";

    /// <summary>Sends as another service would: its own header and, when it has one, its trace context.</summary>
    protected Task SendAsync(byte[]? value, string key = "valid", Timestamp? timestamp = null, ActivityContext? sender = null)
    {
        var headers = new Headers { { "x-sender", "sender's own"u8.ToArray() } };
        if (sender is { } context)
        {
            headers.Add(KafkaHeaderPropagation.TraceParentHeader, Encoding.UTF8.GetBytes(Traceparent(context)));
        }

        return _writer.ProduceAsync(_topic, new Message<string, byte[]?> { Key = key, Value = value, Timestamp = timestamp ?? Timestamp.Default, Headers = headers });
    }

    protected Task<long> CommittedAsync()
    {
        var consumer = _consumer.Services.GetRequiredService<IConsumer<string, byte[]>>();
        return Task.FromResult(consumer.Committed([new TopicPartition(_topic, 0)], TimeSpan.FromSeconds(5)).Single().Offset.Value);
    }

    protected static string? Header(ConsumeResult<string, byte[]> letter, string key) =>
        letter.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _consumer.StopAsync().GetAwaiter().GetResult();
        _consumer.Dispose();
        _writer.Dispose();
        _kafka.Dispose();
    }
}
