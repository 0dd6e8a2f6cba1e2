using System.Reflection;
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

    public DeadLetterFailureTests()
    {
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1,
            [new KafkaTopic(_topic, Partitions: 1), new KafkaTopic(MessageTopics.DeadLetterOf(_topic), Partitions: 1)]);
    }

    public static TheoryData<string> Faults => ["fatal", "disposed"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_poison_message_whose_dead_letter_send_throws_is_read_again_and_dead_lettered_not_skipped(string fault)
    {
        // The first dead-letter send fails as a fatal librdkafka error or a disposed producer would.
        Exception injected = fault == "fatal"
            ? new KafkaException(new Error(ErrorCode.Local_Fatal, "injected: the producer hit a fatal error", isFatal: true))
            : new ObjectDisposedException("injected: the producer was disposed");
        using var host = StartConsumer(injected);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        await producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = "poison", Value = "not JSON"u8.ToArray() });
        for (var sequence = 1; sequence <= 3; sequence++)
        {
            var body = new MessageBody(Guid.NewGuid(), sequence, DateTimeOffset.UtcNow, "test", "payload");
            await producer.ProduceAsync(_topic, new Message<string, byte[]>
            {
                Key = body.Id.ToString(),
                Value = JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody),
            });
        }

        // The poison message is offset 0: its dead letter, then every message processed and committed.
        var deadLetters = await ReadDeadLettersAsync(expected: 1);
        var letter = Assert.Single(deadLetters);
        Assert.Equal("0", Header(letter, DeadLetterHeaders.SourceOffset));
        Assert.Equal("not JSON", Encoding.UTF8.GetString(letter.Message.Value));
        Assert.Equal(typeof(InvalidMessageException).FullName, Header(letter, DeadLetterHeaders.ErrorType));

        var consumer = host.Services.GetRequiredService<IConsumer<string, byte[]>>();
        var partition = new TopicPartition(_topic, 0);
        await Poll.UntilAsync(() => Task.FromResult(consumer.Committed([partition], TimeSpan.FromSeconds(5)).Single().Offset.Value),
            committed => committed == 4, Timeout, "the group's committed offset to pass all four messages");
        var stats = host.Services.GetRequiredService<ProcessingStats>().Snapshot(consumer.MemberId);
        Assert.Equal((3, 1), (stats.Processed, stats.Failed));
    }

    private IHost StartConsumer(Exception deadLetterFault) =>
        InProcessConsumer.Start(_kafka.BootstrapServers, _topic, builder =>
            builder.Services.AddSingleton(services => new KafkaDeadLetterPublisher(
                FirstSendFails.Wrap(services.GetRequiredService<IProducer<string, byte[]>>(), deadLetterFault),
                services.GetRequiredService<ILogger<KafkaDeadLetterPublisher>>())));

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
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline && letters.Count < expected)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } letter)
            {
                letters.Add(letter);
            }
        }

        Assert.True(letters.Count == expected, $"{letters.Count} of {expected} dead letters after {Timeout.TotalSeconds} s: the poison message was lost");
        // Nothing more arrives (no duplicate dead letter) within a few more seconds.
        var deadlineForMore = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < deadlineForMore)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } extra)
            {
                letters.Add(extra);
            }
        }

        reader.Close();
        return letters;
    }

    private static string? Header(ConsumeResult<string, byte[]> letter, string key) =>
        letter.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    public void Dispose() => _kafka.Dispose();

    /// <summary>The real producer, except that its first send fails with the given exception (as a faulted task, like a real send).</summary>
    public class FirstSendFails : DispatchProxy
    {
        private IProducer<string, byte[]> _inner = null!;
        private Exception? _fault;

        public static IProducer<string, byte[]> Wrap(IProducer<string, byte[]> inner, Exception fault)
        {
            var proxy = Create<IProducer<string, byte[]>, FirstSendFails>();
            var self = (FirstSendFails)(object)proxy;
            self._inner = inner;
            self._fault = fault;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name == nameof(IProducer<string, byte[]>.ProduceAsync) && Interlocked.Exchange(ref _fault, null) is { } fault)
            {
                return Task.FromException<DeliveryResult<string, byte[]>>(fault);
            }

            try
            {
                return method.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}
