using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// The Consumer's worker, processor and dead-letter publisher in this process, on the embedded
/// broker, committing every 100 ms: what is committed and what is dead-lettered, message by message.
/// The same promises as the end-to-end fault tests, at a level a mutation tool can reach.
/// </summary>
public sealed class ConsumerWorkerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _topic = $"consumer-worker-{Guid.NewGuid():N}";
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly IProducer<string, byte[]?> _writer;
    private readonly IHost _consumer;

    public ConsumerWorkerTests()
    {
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1,
            [new KafkaTopic(_topic, Partitions: 1), new KafkaTopic(MessageTopics.DeadLetterOf(_topic), Partitions: 1)]);
        _writer = new ProducerBuilder<string, byte[]?>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        _consumer = InProcessConsumer.Start(_kafka.BootstrapServers, _topic,
            builder => builder.Configuration["Processing:RetryBackoffMilliseconds"] = "1");
    }

    private ProcessingStats Stats => _consumer.Services.GetRequiredService<ProcessingStats>();

    private ProcessingControl Control => _consumer.Services.GetRequiredService<ProcessingControl>();

    /// <summary>
    /// While a message is in progress the group's commit stays at it (ten commit intervals are
    /// watched), and once it is done the commit passes it: a crash meanwhile would redo it, never skip it.
    /// </summary>
    [Fact]
    public async Task The_commit_stays_at_a_message_in_progress_and_passes_it_once_it_is_done()
    {
        await SendAsync(Valid());
        await Poll.UntilAsync(CommittedAsync, committed => committed == 1, Timeout, "the first message to be committed");

        Control.Update(new ProcessingUpdate(DelayMilliseconds: 3_000, FailureRate: null));
        await SendAsync(Valid());
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
    /// the malformed one is not retried, the failing one is, and the worker moves past both.
    /// </summary>
    [Fact]
    public async Task A_message_that_cannot_be_processed_is_dead_lettered_as_it_was_sent_with_the_reason_and_the_worker_moves_on()
    {
        var sentAt = new Timestamp(DateTimeOffset.UtcNow.AddMinutes(-30));
        await SendAsync("not JSON"u8.ToArray(), key: "malformed", sentAt);
        await Poll.UntilAsync(CommittedAsync, committed => committed == 1, Timeout, "the malformed message to be committed past");

        Control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 1));
        var failing = Valid();
        await SendAsync(failing, key: "failing", sentAt);
        await Poll.UntilAsync(CommittedAsync, committed => committed == 2, Timeout, "the failing message to be committed past");
        Control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 0));
        await SendAsync(Valid());
        await Poll.UntilAsync(CommittedAsync, committed => committed == 3, Timeout, "the next message to be processed");

        var letters = await ReadDeadLettersAsync(expected: 2);
        var malformed = letters.Single(l => l.Message.Key == "malformed");
        Assert.Equal("not JSON", Encoding.UTF8.GetString(malformed.Message.Value));
        Assert.Equal((typeof(InvalidMessageException).FullName, "0"), (Header(malformed, DeadLetterHeaders.ErrorType), Header(malformed, DeadLetterHeaders.SourceOffset)));
        Assert.Contains("not valid JSON", Header(malformed, DeadLetterHeaders.ErrorMessage));
        var failed = letters.Single(l => l.Message.Key == "failing");
        Assert.Equal(failing, failed.Message.Value);
        Assert.Equal((typeof(SimulatedProcessingException).FullName, "1"), (Header(failed, DeadLetterHeaders.ErrorType), Header(failed, DeadLetterHeaders.SourceOffset)));
        Assert.All(letters, letter =>
        {
            Assert.Equal(sentAt.UnixTimestampMs, letter.Message.Timestamp.UnixTimestampMs);
            Assert.Equal("sender's own", Header(letter, "x-sender"));
            Assert.Equal(_topic, Header(letter, DeadLetterHeaders.SourceTopic));
            Assert.Equal("0", Header(letter, DeadLetterHeaders.SourcePartition));
        });
        Assert.Equal((1, 2), (Stats.Snapshot("").Processed, Stats.Snapshot("").Failed));
    }

    private static byte[] Valid() => JsonSerializer.SerializeToUtf8Bytes(
        new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "test", "payload"), MessageJsonContext.Default.MessageBody);

    private Task SendAsync(byte[]? value, string key = "valid", Timestamp? timestamp = null) =>
        _writer.ProduceAsync(_topic, new Message<string, byte[]?>
        {
            Key = key,
            Value = value,
            Timestamp = timestamp ?? Timestamp.Default,
            Headers = new Headers { { "x-sender", "sender's own"u8.ToArray() } },
        });

    private Task<long> CommittedAsync()
    {
        var consumer = _consumer.Services.GetRequiredService<IConsumer<string, byte[]>>();
        return Task.FromResult(consumer.Committed([new TopicPartition(_topic, 0)], TimeSpan.FromSeconds(5)).Single().Offset.Value);
    }

    private async Task<List<ConsumeResult<string, byte[]>>> ReadDeadLettersAsync(int expected)
    {
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = $"{_topic}-reader",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        reader.Subscribe(MessageTopics.DeadLetterOf(_topic));
        var letters = new List<ConsumeResult<string, byte[]>>();
        await Poll.UntilAsync(() =>
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } letter)
            {
                letters.Add(letter);
            }

            return letters.Count >= expected;
        }, Timeout, () => $"{expected} dead letters; {letters.Count} arrived");
        reader.Close();
        return letters;
    }

    private static string? Header(ConsumeResult<string, byte[]> letter, string key) =>
        letter.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    public void Dispose()
    {
        _consumer.StopAsync().GetAwaiter().GetResult();
        _consumer.Dispose();
        _writer.Dispose();
        _kafka.Dispose();
    }
}
