using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// The Consumer's work (the real worker, processor and dead-letter publisher, in this process)
/// against the embedded broker, when the dead-letter send fails in a way it does not retry: the
/// message must not be lost, neither skipped by a stored offset nor left out of the dead-letter topic.
/// </summary>
public sealed class DeadLetterFailureTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _topic = $"dead-letter-failure-{Guid.NewGuid():N}";
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly CapturedTelemetry _telemetry = new();

    public DeadLetterFailureTests()
    {
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1,
            [new KafkaTopic(_topic, Partitions: 1), new KafkaTopic(MessageTopics.DeadLetterOf(_topic), Partitions: 1)]);
    }

    public static TheoryData<string> Faults => ["fatal", "disposed"];

    /// <summary>
    /// A dead-letter send that throws (not a delivery failure, which is retried) leaves the message
    /// with no outcome: it is logged as an error, and after a second the message is read again and
    /// dead-lettered, once.
    /// </summary>
    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_poison_message_whose_dead_letter_send_throws_is_read_again_and_dead_lettered_not_skipped(string fault)
    {
        // The first dead-letter send fails as a fatal librdkafka error or a disposed producer would.
        Exception injected = fault == "fatal"
            ? FatalSendError()
            : new ObjectDisposedException("injected: the producer was disposed");
        await using var host = StartConsumer(out var deadLetterProducer, injected);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        await producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "poison", Value = "not JSON"u8.ToArray() });
        for (var sequence = 1; sequence <= 3; sequence++)
        {
            await producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = $"valid-{sequence}", Value = MessageBodies.Valid(sequence) });
        }

        // The poison message is offset 0: its dead letter, then every message processed and committed.
        var deadLetters = ReadDeadLetters();
        var letter = Assert.Single(deadLetters);
        Assert.Equal("0", Header(letter, DeadLetterHeaders.SourceOffset));
        Assert.Equal("not JSON", Encoding.UTF8.GetString(letter.Message.Value));
        Assert.Equal(typeof(InvalidMessageException).FullName, Header(letter, DeadLetterHeaders.ErrorType));

        var consumer = host.Services.GetRequiredService<IConsumer<string, byte[]>>();
        await Poll.UntilAsync(() => Committed(consumer, new TopicPartition(_topic, 0)),
            committed => committed.SequenceEqual([4L]), Timeout, "the group's committed offset to pass all four messages");
        var stats = host.Services.GetRequiredService<ProcessingStats>().Snapshot(consumer.MemberId);
        Assert.Equal((3, 1), (stats.Processed, stats.Failed));

        var noOutcome = Assert.Single(_telemetry.LogsStartingWith($"{_topic} partition 0 offset 0 was neither processed nor dead-lettered"));
        Assert.Equal(LogLevel.Error, noOutcome.LogLevel);
        Assert.EndsWith("read again in 1000 ms", noOutcome.FormattedMessage);
        Assert.Same(injected, noOutcome.Exception);
        var (failedSend, secondSend) = (deadLetterProducer.Sends[0], deadLetterProducer.Sends[1]);
        Assert.True(secondSend - failedSend >= TimeSpan.FromMilliseconds(990),
            $"read again {(secondSend - failedSend).TotalMilliseconds:F0} ms after the failed dead-letter send; expected a second's wait");
    }

    /// <summary>
    /// In a batch (<c>Processing:BatchSize</c> 10), a message whose dead-letter send throws is read
    /// again with everything after it: the messages before it are done once, it is dead-lettered
    /// once, the ones after it processed once, and the commit passes all of them.
    /// </summary>
    [Fact]
    public async Task In_a_batch_a_message_whose_dead_letter_send_throws_is_read_again_with_the_rest_of_the_batch()
    {
        // Written in one request before the Consumer starts, so the four are ready together: one batch.
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, LingerMs = 1_000 }).Build())
        {
            producer.Produce(_topic, new Message<string, byte[]> { Key = "valid-0", Value = MessageBodies.Valid(1) });
            producer.Produce(_topic, new Message<string, byte[]> { Key = "poison", Value = "not JSON"u8.ToArray() });
            producer.Produce(_topic, new Message<string, byte[]> { Key = "valid-2", Value = MessageBodies.Valid(3) });
            producer.Produce(_topic, new Message<string, byte[]> { Key = "valid-3", Value = MessageBodies.Valid(4) });
            Assert.Equal(0, producer.Flush(Timeout));
        }

        await using var host = StartConsumer(_topic, batchSize: 10, out _, FatalSendError());

        var letter = Assert.Single(ReadDeadLetters());
        Assert.Equal(("poison", "1"), (letter.Message.Key, Header(letter, DeadLetterHeaders.SourceOffset)));
        var consumer = host.Services.GetRequiredService<IConsumer<string, byte[]>>();
        await Poll.UntilAsync(() => Committed(consumer, new TopicPartition(_topic, 0)),
            committed => committed.SequenceEqual([4L]), Timeout, "the group's committed offset to pass all four messages");
        var stats = host.Services.GetRequiredService<ProcessingStats>().Snapshot(consumer.MemberId);
        Assert.Equal((3, 1), (stats.Processed, stats.Failed));
        Assert.Equal(["0", "2", "3"], _telemetry.LogsStartingWith("Processed message")
            .Select(log => log.FormattedMessage!.Split(" offset ")[1].Split(',')[0]).Order());
        // One batch of the four, ended at the poison message; then it and the two after it again.
        var batchSizes = _telemetry.Spans.Where(span => span.DisplayName == $"process {_topic}").Select(span => span.GetTagItem(MessagingAttributes.BatchMessageCount));
        Assert.Equal([4, 3], batchSizes);
    }

    /// <summary>
    /// In a batch of messages from two partitions, a message whose dead-letter send throws has the
    /// other partition's messages after it read again too: none of them is skipped.
    /// </summary>
    [Fact]
    public async Task In_a_batch_from_two_partitions_the_other_partitions_messages_after_a_message_with_no_outcome_are_read_again()
    {
        var topic = $"{_topic}-two-partitions";
        _kafka.CreateTopic(new KafkaTopic(topic, Partitions: 2));
        _kafka.CreateTopic(new KafkaTopic(MessageTopics.DeadLetterOf(topic), Partitions: 1));
        await using var host = StartConsumer(topic, batchSize: 10, out _, FatalSendError());
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();

        // The first message takes two seconds. Meanwhile the poison message arrives on partition 0,
        // and later two on partition 1: the next batch is the poison message, then those two.
        host.Services.GetRequiredService<ProcessingControl>().Update(new ProcessingUpdate(DelayMilliseconds: 2_000, FailureRate: null));
        await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, byte[]> { Key = "first", Value = MessageBodies.Valid(1) });
        var stats = host.Services.GetRequiredService<ProcessingStats>();
        await Poll.UntilAsync(() => Task.FromResult(stats.Snapshot("").Current), current => current is not null, Timeout, "the first message to be in progress");
        host.Services.GetRequiredService<ProcessingControl>().Update(new ProcessingUpdate(DelayMilliseconds: 0, FailureRate: null));
        await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, byte[]> { Key = "poison", Value = "not JSON"u8.ToArray() });
        await Task.Delay(TimeSpan.FromSeconds(0.7));
        await producer.ProduceAsync(new TopicPartition(topic, 1), new Message<string, byte[]> { Key = "valid-1", Value = MessageBodies.Valid(2) });
        await producer.ProduceAsync(new TopicPartition(topic, 1), new Message<string, byte[]> { Key = "valid-2", Value = MessageBodies.Valid(3) });

        var letter = Assert.Single(TopicReader.Read(_kafka.BootstrapServers, MessageTopics.DeadLetterOf(topic), expected: 1, Timeout, thenWatch: TimeSpan.FromSeconds(3)));
        Assert.Equal(("poison", "0", "1"), (letter.Message.Key, Header(letter, DeadLetterHeaders.SourcePartition), Header(letter, DeadLetterHeaders.SourceOffset)));
        var consumer = host.Services.GetRequiredService<IConsumer<string, byte[]>>();
        await Poll.UntilAsync(() => Committed(consumer, new TopicPartition(topic, 0), new TopicPartition(topic, 1)),
            committed => committed.SequenceEqual([2L, 2L]), Timeout, "the group's commits to pass both partitions' messages");
        var done = stats.Snapshot(consumer.MemberId);
        Assert.Equal((3, 1), (done.Processed, done.Failed));
    }

    /// <summary>
    /// A dead-letter send Kafka does not acknowledge is tried again, waiting 100 ms, then twice as
    /// long each time (each try logged), until it is: the dead letter arrives once, nothing is skipped.
    /// </summary>
    [Fact]
    public async Task An_unacknowledged_dead_letter_is_sent_again_with_a_doubling_wait_until_Kafka_takes_it()
    {
        var notAcknowledged = Enumerable.Range(0, 3).Select(_ => new ProduceException<string, byte[]>(
            new Error(ErrorCode.Local_MsgTimedOut, "injected: not acknowledged"), new DeliveryResult<string, byte[]>())).ToArray<Exception>();
        await using var host = StartConsumer(out var deadLetterProducer, notAcknowledged);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        await producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "poison", Value = "not JSON"u8.ToArray() });

        var letter = Assert.Single(ReadDeadLetters());
        Assert.Equal("0", Header(letter, DeadLetterHeaders.SourceOffset));
        var sends = deadLetterProducer.Sends;
        Assert.Equal(4, sends.Count);
        double[] waits = [100, 200, 400];
        for (var attempt = 0; attempt < waits.Length; attempt++)
        {
            var waited = (sends[attempt + 1] - sends[attempt]).TotalMilliseconds;
            Assert.True(waited >= waits[attempt] - 10, $"try {attempt + 2} came {waited:F0} ms after the one before; expected at least {waits[attempt]} ms");
        }

        var retries = _telemetry.LogsStartingWith($"Could not dead-letter {_topic} partition 0 offset 0 (injected: not acknowledged)");
        Assert.Equal(new[] { "100", "200", "400" }, retries.Select(r => r.FormattedMessage!.Split("trying again in ")[1].Split(' ')[0]));
        Assert.All(retries, r => Assert.Equal(LogLevel.Warning, r.LogLevel));
    }

    /// <summary>A message with no headers at all (a caller may pass one) is dead-lettered with only where it came from and why.</summary>
    [Fact]
    public async Task A_message_without_headers_is_dead_lettered_with_where_it_came_from_and_why()
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var publisher = new KafkaDeadLetterPublisher(producer, NullLogger<KafkaDeadLetterPublisher>.Instance);
        var failed = new ConsumeResult<string, byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset(_topic, 0, 7),
            Message = new Message<string, byte[]> { Key = "no-headers", Value = "v"u8.ToArray(), Headers = null },
        };

        await publisher.PublishAsync(failed, new InvalidMessageException("cannot be read"), CancellationToken.None);

        var letter = Assert.Single(ReadDeadLetters());
        Assert.Equal(
            new[] { DeadLetterHeaders.SourceTopic, DeadLetterHeaders.SourcePartition, DeadLetterHeaders.SourceOffset, DeadLetterHeaders.ErrorType, DeadLetterHeaders.ErrorMessage },
            letter.Message.Headers.Select(h => h.Key));
        Assert.Equal(("7", "cannot be read"), (Header(letter, DeadLetterHeaders.SourceOffset), Header(letter, DeadLetterHeaders.ErrorMessage)));
    }

    private StoppedOnDispose StartConsumer(out ObservedProducer deadLetterProducer, params Exception[] deadLetterFaults) =>
        StartConsumer(_topic, batchSize: 1, out deadLetterProducer, deadLetterFaults);

    private StoppedOnDispose StartConsumer(string topic, int batchSize, out ObservedProducer deadLetterProducer, params Exception[] deadLetterFaults)
    {
        ObservedProducer? observed = null;
        var host = InProcessConsumer.Start(_kafka.BootstrapServers, topic, builder =>
        {
            builder.Configuration["Processing:BatchSize"] = $"{batchSize}";
            _telemetry.AddTo(builder);
            builder.Services.AddSingleton(services =>
            {
                (var producer, observed) = ObservedProducer.Wrap(services.GetRequiredService<IProducer<string, byte[]>>(), deadLetterFaults);
                return new KafkaDeadLetterPublisher(producer, services.GetRequiredService<ILogger<KafkaDeadLetterPublisher>>());
            });
        });
        deadLetterProducer = observed!;
        return new StoppedOnDispose(host);
    }

    // Nothing more arrives (no second copy) within a few more seconds.
    private List<ConsumeResult<string, byte[]>> ReadDeadLetters() =>
        TopicReader.Read(_kafka.BootstrapServers, MessageTopics.DeadLetterOf(_topic), expected: 1, Timeout, thenWatch: TimeSpan.FromSeconds(3));

    // A dead-letter send that throws as a producer with a fatal librdkafka error does.
    private static KafkaException FatalSendError() =>
        new(new Error(ErrorCode.Local_Fatal, "injected: the producer hit a fatal error", isFatal: true));

    private static Task<long[]> Committed(IConsumer<string, byte[]> consumer, params TopicPartition[] partitions) =>
        Task.FromResult(consumer.Committed(partitions, TimeSpan.FromSeconds(5)).Select(committed => committed.Offset.Value).ToArray());

    private static string? Header(ConsumeResult<string, byte[]> letter, string key) =>
        letter.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    public void Dispose() => _kafka.Dispose();
}
