using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// What the Consumer's processor accepts, refuses and does twice: a message it cannot read is
/// refused with the reason (the worker dead-letters it); a duplicate is counted, logged and marked in
/// its trace; an injected failure rate fails that share of messages.
/// </summary>
public sealed class MessageProcessorTests : IDisposable
{
    // A topic of its own: the duplicates counter is static, and other tests count theirs.
    private readonly string _topic = $"processor-{Guid.NewGuid():N}";
    private readonly List<LogRecord> _logs = [];
    private readonly ILoggerFactory _loggers;

    public MessageProcessorTests() =>
        _loggers = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.IncludeFormattedMessage = true;
            otel.AddInMemoryExporter(_logs);
        }));

    /// <summary>
    /// The second copy of a message is counted as a duplicate either way (a counter by topic and
    /// partition, a warning, an attribute on its process span); its work is done again only with
    /// <c>Process</c>. The work is seen to run because the second time it always fails.
    /// </summary>
    [Theory]
    [InlineData(DuplicateHandling.Skip, false)]
    [InlineData(DuplicateHandling.Process, true)]
    public async Task A_duplicate_is_counted_logged_and_marked_and_its_work_done_again_only_when_set_to_process(DuplicateHandling handling, bool workedAgain)
    {
        var (processor, control, stats) = Create(new ProcessingOptions { DelayMilliseconds = 0, Duplicates = handling });
        var body = Body(new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "test", "twice"));
        using var duplicates = new CounterRecorder("kafkao11y.messages.duplicates", _topic);
        using var spans = new SpanRecorder();

        using (var first = spans.Run("first"))
        {
            await processor.ProcessAsync(Consumed(body, offset: 10), CancellationToken.None);
            Assert.False(first.IsDuplicate(), "the first copy's span is marked as a duplicate");
        }

        control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 1));
        using var second = spans.Run("second");
        var failure = await Record.ExceptionAsync(() => processor.ProcessAsync(Consumed(body, offset: 11), CancellationToken.None));
        second.Stop();

        Assert.Equal(1, stats.Snapshot("member").Duplicates);
        Assert.Equal(workedAgain, failure is SimulatedProcessingException);
        Assert.True(workedAgain || failure is null, $"the skipped copy failed: {failure}");
        Assert.True(second.IsDuplicate(), "the second copy's span is not marked as a duplicate");
        Assert.Equal(("kafka", _topic, "3"), Assert.Single(duplicates.Tags("messaging.system", "messaging.destination.name", "messaging.destination.partition.id")));
        var logged = Assert.Single(_logs, l => l.FormattedMessage?.StartsWith("Duplicate message", StringComparison.Ordinal) == true);
        Assert.Equal((LogLevel.Warning, second.TraceId), (logged.LogLevel, logged.TraceId));
        Assert.Contains($"from {_topic} partition 3 offset 11: already processed at offset 10; {handling}", logged.FormattedMessage);
    }

    public static TheoryData<string, Func<JsonObject, byte[]?>, string> Unreadable => new()
    {
        { "no value", _ => null, "The message has no value." },
        { "one byte over the limit", json => Padded(json, Limit + 1), $"The message value has {Limit + 1} bytes; at most {Limit} are processed." },
        { "not JSON", _ => "{ not json"u8.ToArray(), "The message value is not valid JSON" },
        { "JSON null", _ => "null"u8.ToArray(), RequiredField },
        { "no id", json => Without(json, "id"), RequiredField },
        { "an empty id", json => With(json, "id", Guid.Empty.ToString()), RequiredField },
        { "sequence 0", json => With(json, "sequence", 0), RequiredField },
        { "no creation time", json => Without(json, "createdAt"), RequiredField },
        { "an empty producer", json => With(json, "producer", ""), RequiredField },
        { "no payload", json => Without(json, "payload"), RequiredField },
    };

    private const int Limit = 300;
    private const string RequiredField = "The message lacks a required field (id, sequence, createdAt, producer, payload).";

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task A_message_it_cannot_read_is_refused_with_the_reason(string what, Func<JsonObject, byte[]?> value, string reason)
    {
        var (processor, _, _) = Create(new ProcessingOptions { DelayMilliseconds = 0, MaxMessageBytes = Limit });

        var refused = await Assert.ThrowsAsync<InvalidMessageException>(() =>
            processor.ProcessAsync(Consumed(value(ValidJson()), offset: 0), CancellationToken.None));

        Assert.True(refused.Message.StartsWith(reason, StringComparison.Ordinal), $"{what}: {refused.Message}");
    }

    /// <summary>A message of exactly Processing:MaxMessageBytes is processed, and logged in its trace with where it came from.</summary>
    [Fact]
    public async Task A_message_at_the_size_limit_is_processed_and_logged()
    {
        var (processor, _, stats) = Create(new ProcessingOptions { DelayMilliseconds = 0, MaxMessageBytes = Limit });
        var json = ValidJson();
        using var spans = new SpanRecorder();
        using var span = spans.Run("process");

        await processor.ProcessAsync(Consumed(Padded(json, Limit), offset: 7), CancellationToken.None);

        var logged = Assert.Single(_logs, l => l.FormattedMessage?.StartsWith("Processed message", StringComparison.Ordinal) == true);
        Assert.Equal((LogLevel.Information, span.TraceId), (logged.LogLevel, logged.TraceId));
        Assert.Contains($"Processed message {json["id"]} (sequence 1 from test) from {_topic} partition 3 offset 7, ", logged.FormattedMessage);
        Assert.Equal(0, stats.Snapshot("member").Duplicates);
    }

    /// <summary>Processing a message takes the simulated work's time (Processing:DelayMilliseconds, changed at runtime).</summary>
    [Fact]
    public async Task Processing_takes_the_delay_it_is_set_to()
    {
        var (processor, control, _) = Create(new ProcessingOptions { DelayMilliseconds = 0 });
        control.Update(new ProcessingUpdate(DelayMilliseconds: 300, FailureRate: null));
        var clock = Stopwatch.StartNew();

        await processor.ProcessAsync(Consumed(Body(new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "test", "slow")), offset: 0), CancellationToken.None);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"processing took {clock.Elapsed.TotalMilliseconds:F0} ms; the delay is 300 ms");
    }

    /// <summary>An injected failure rate fails about that share of messages, with a message that says it was injected.</summary>
    [Fact]
    public async Task A_failure_rate_fails_that_share_of_messages()
    {
        const int Messages = 400;
        var (processor, control, _) = Create(new ProcessingOptions { DelayMilliseconds = 0 });
        control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 0.5));

        var failures = new List<Exception>();
        for (var offset = 0; offset < Messages; offset++)
        {
            var body = Body(new MessageBody(Guid.NewGuid(), offset + 1, DateTimeOffset.UtcNow, "test", "payload"));
            if (await Record.ExceptionAsync(() => processor.ProcessAsync(Consumed(body, offset), CancellationToken.None)) is { } failure)
            {
                failures.Add(failure);
            }
        }

        // 400 draws at 0.5: outside 35 % to 65 % is more than six standard deviations away.
        Assert.InRange(failures.Count, Messages * 35 / 100, Messages * 65 / 100);
        Assert.All(failures, f => Assert.StartsWith("Simulated processing failure", Assert.IsType<SimulatedProcessingException>(f).Message));
    }

    private (MessageProcessor Processor, ProcessingControl Control, ProcessingStats Stats) Create(ProcessingOptions settings)
    {
        var options = Options.Create(settings);
        var control = new ProcessingControl(options);
        var stats = new ProcessingStats();
        return (new MessageProcessor(options, control, stats, _loggers.CreateLogger<MessageProcessor>()), control, stats);
    }

    private ConsumeResult<string, byte[]> Consumed(byte[]? value, long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(_topic, 3, offset),
        Message = new Message<string, byte[]> { Key = "key", Value = value! },
    };

    private static byte[] Body(MessageBody body) => JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody);

    private static JsonObject ValidJson() =>
        JsonNode.Parse(Body(new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "test", "payload")))!.AsObject();

    private static byte[] Without(JsonObject json, string property)
    {
        Assert.True(json.Remove(property), $"the message body has no property {property}");
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static byte[] With(JsonObject json, string property, JsonNode value)
    {
        Assert.True(json.ContainsKey(property), $"the message body has no property {property}");
        json[property] = value;
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>The message with its payload lengthened until its value has exactly <paramref name="bytes"/> bytes.</summary>
    private static byte[] Padded(JsonObject json, int bytes)
    {
        var unpadded = Encoding.UTF8.GetByteCount(json.ToJsonString());
        json["payload"] = json["payload"]!.GetValue<string>() + new string('x', bytes - unpadded);
        var value = Encoding.UTF8.GetBytes(json.ToJsonString());
        Assert.Equal(bytes, value.Length);
        return value;
    }

    public void Dispose() => _loggers.Dispose();

    /// <summary>Spans of a source of this test's own, recorded, standing in for the Kafka integration's process span.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivitySource _source = new($"processor-test-{Guid.NewGuid():N}");
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source == _source,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Activity Run(string name) => _source.StartActivity(name, ActivityKind.Consumer)!;

        public void Dispose()
        {
            _listener.Dispose();
            _source.Dispose();
        }
    }

    /// <summary>A counter's measurements for one topic, with their tags.</summary>
    private sealed class CounterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<KeyValuePair<string, object?>[]> _measurements = [];

        public CounterRecorder(string name, string topic)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ConsumerTelemetry.MeterName && instrument.Name == name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                var copy = tags.ToArray();
                if (copy.Any(t => t.Key == MessagingAttributes.DestinationName && Equals(t.Value, topic)))
                {
                    lock (_measurements)
                    {
                        _measurements.AddRange(Enumerable.Repeat(copy, (int)value));
                    }
                }
            });
            _listener.Start();
        }

        /// <summary>Each measurement's values of the given tags.</summary>
        public List<(string?, string?, string?)> Tags(string first, string second, string third)
        {
            lock (_measurements)
            {
                return _measurements.Select(tags => (Value(tags, first), Value(tags, second), Value(tags, third))).ToList();
            }

            static string? Value(KeyValuePair<string, object?>[] tags, string key) => tags.FirstOrDefault(t => t.Key == key).Value?.ToString();
        }

        public void Dispose() => _listener.Dispose();
    }
}

internal static class ProcessSpanExtensions
{
    public static bool IsDuplicate(this Activity span) => span.GetTagItem(MessageProcessor.DuplicateAttribute) is true;
}
