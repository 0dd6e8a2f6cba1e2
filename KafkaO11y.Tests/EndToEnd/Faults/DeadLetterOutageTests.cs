using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.AppHost.Kafka.Embedded;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>
/// The dead-letter topic failing (its produce requests answered with a Kafka error) while poison
/// arrives, on the real services and the embedded broker, in both processing modes. A poison
/// message is done with only once its dead letter is acknowledged, so until then nothing at or
/// after it may be committed.
/// </summary>
public abstract class DeadLetterOutageTests(EmbeddedAppFixture fixture, ITestOutputHelper output)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly string DeadLetterTopic = MessageTopics.DeadLetterOf(Topic);
    private const int Partitions = 3;

    // librdkafka retries each failed request after 100, 200, 400, 800, then 1,000 ms: about 5.5 s per partition.
    private const int ErrorsPerPartition = 8;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task While_the_dead_letter_topic_fails_nothing_past_a_poison_message_is_committed_and_afterwards_each_is_dead_lettered_exactly_once()
    {
        var failing = await fixture.App.ResourceCommands.ExecuteCommandAsync("kafka", EmbeddedKafkaCommands.FailRequests, new InteractionInputCollection(
        [
            Input("request", nameof(KafkaRequest.Produce)),
            Input("error", nameof(KafkaErrorCode.NotEnoughReplicas)),
            Input("count", ErrorsPerPartition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Input("topic", DeadLetterTopic),
        ]));
        Assert.True(failing.Success, failing.Message);

        // Poison on every partition (the dead letter keeps its key, so it goes to the same partition
        // number), so that every partition's injected errors are used up here, not by a later test.
        using var producer = fixture.CreateHttpClient("producer");
        var sentAt = Stopwatch.StartNew();
        var poison = new List<Published>();
        while (poison.Select(p => p.Partition).Distinct().Count() < Partitions)
        {
            using var response = await producer.PostAsJsonAsync("/poison", new { count = 3 });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            poison.AddRange((await response.Content.ReadFromJsonAsync<List<Published>>())!);
        }

        var messages = new List<Published>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"behind the poison {i}" });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            messages.Add((await response.Content.ReadFromJsonAsync<Published>())!);
        }

        // Until every poison message is dead-lettered and every message passed: at each look, the
        // commits are read first, then the dead-letter topic to its end. A commit past a poison
        // message whose dead letter is not there yet would be a message lost.
        using var consumer = fixture.CreateHttpClient("consumer");
        using var deadLetters = await DeadLetterReader.OpenAsync(fixture.App);
        var firstDeadLetterAt = new Dictionary<(int, long), TimeSpan>();
        var looks = 0;
        var heldLooks = 0;
        Dictionary<int, long> committed;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            committed = await ConsumerGroupOffsets.CommittedAsync(fixture.App, Topic, Enumerable.Range(0, Partitions));
            var copies = deadLetters.ReadToEnd();
            looks++;
            foreach (var p in poison)
            {
                if (copies.ContainsKey((p.Partition, p.Offset)))
                {
                    firstDeadLetterAt.TryAdd((p.Partition, p.Offset), sentAt.Elapsed);
                }
                else
                {
                    Assert.True(committed[p.Partition] <= p.Offset,
                        $"partition {p.Partition}: committed {committed[p.Partition]} past poison at offset {p.Offset}, whose dead letter is not acknowledged");
                    heldLooks++;
                }
            }

            using (var health = await consumer.GetAsync("/health"))
            {
                Assert.True(health.StatusCode == HttpStatusCode.OK, $"the Consumer's /health answered {(int)health.StatusCode} while the dead-letter topic failed");
            }

            if (firstDeadLetterAt.Count == poison.Count && messages.Concat(poison).All(m => committed[m.Partition] > m.Offset))
            {
                break;
            }

            Assert.True(deadline.Elapsed < Timeout, $"after {Timeout}: {firstDeadLetterAt.Count} of {poison.Count} poison messages dead-lettered; committed {string.Join(", ", committed.Select(c => $"{c.Key}:{c.Value}"))}");
            await Task.Delay(250);
        }

        var final = deadLetters.ReadToEnd();
        var byPartition = poison.GroupBy(p => p.Partition).OrderBy(g => g.Key)
            .Select(g => $"partition {g.Key}: {g.Count()} poison, first dead letter after {g.Min(p => firstDeadLetterAt[(p.Partition, p.Offset)]).TotalSeconds:F1} s");
        output.WriteLine($"{ErrorsPerPartition} produce errors injected per {DeadLetterTopic} partition; {poison.Count} poison and {messages.Count} messages behind them; " +
            $"{looks} looks at commits and dead letters ({heldLooks} times a poison message not yet dead-lettered, and its partition's commit never past it); {string.Join("; ", byPartition)}; " +
            $"dead letters per poison message: {string.Join(",", poison.Select(p => final[(p.Partition, p.Offset)]))}; Consumer healthy at every look; lost: 0");

        // The failures happened: the poison met the errors (without them a dead letter takes milliseconds).
        Assert.True(firstDeadLetterAt.Values.Max() >= TimeSpan.FromSeconds(3),
            $"the last poison message was dead-lettered {firstDeadLetterAt.Values.Max().TotalSeconds:F1} s after it was sent: the injected errors did not delay it");
        // Exactly once: the producer's own retries are idempotent, and the Consumer sent each once.
        Assert.All(poison, p => Assert.Equal(1, final[(p.Partition, p.Offset)]));
        await AssertInjectedErrorsUsedUpAsync();
    }

    /// <summary>
    /// The broker keeps injected errors until requests use them up, and cannot clear them: a send to
    /// each dead-letter partition with no retry must succeed, or a later test would meet them.
    /// </summary>
    private async Task AssertInjectedErrorsUsedUpAsync()
    {
        using var probe = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = await fixture.App.GetConnectionStringAsync("kafka"),
            MessageSendMaxRetries = 0,
        }).Build();
        for (var partition = 0; partition < Partitions; partition++)
        {
            var sent = await Record.ExceptionAsync(() => probe.ProduceAsync(new TopicPartition(DeadLetterTopic, partition),
                new Message<string, string> { Key = "injected-errors-probe", Value = "" }));
            Assert.True(sent is null, $"{DeadLetterTopic} partition {partition} still answers with an injected error: {sent?.Message}");
        }
    }

    private static InteractionInput Input(string name, string value) =>
        new() { Name = name, Label = name, InputType = InputType.Text, Value = value };

    /// <summary>Reads the dead-letter topic from its beginning, counting the dead letters per source message.</summary>
    private sealed class DeadLetterReader : IDisposable
    {
        private readonly IConsumer<Ignore, Ignore> _reader;
        private readonly Dictionary<(int Partition, long Offset), int> _copies = [];

        private DeadLetterReader(IConsumer<Ignore, Ignore> reader) => _reader = reader;

        public static async Task<DeadLetterReader> OpenAsync(DistributedApplication app)
        {
            var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = await app.GetConnectionStringAsync("kafka"),
                GroupId = $"dead-letter-outage-{Guid.NewGuid():N}",
                EnableAutoCommit = false,
            }).Build();
            reader.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(DeadLetterTopic, p, Offset.Beginning)));
            return new DeadLetterReader(reader);
        }

        /// <summary>Everything up to the topic's end as it is now, counted by source partition and offset.</summary>
        public IReadOnlyDictionary<(int Partition, long Offset), int> ReadToEnd()
        {
            var ends = Enumerable.Range(0, Partitions).ToDictionary(p => p,
                p => _reader.QueryWatermarkOffsets(new TopicPartition(DeadLetterTopic, p), TimeSpan.FromSeconds(10)).High.Value);
            var deadline = Stopwatch.StartNew();
            while (ends.Any(end => Position(end.Key) < end.Value))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "could not read the dead-letter topic to its end");
                if (_reader.Consume(TimeSpan.FromMilliseconds(200)) is not { } letter)
                {
                    continue;
                }

                if (Header(letter, DeadLetterHeaders.SourceTopic) == Topic)
                {
                    var source = (int.Parse(Header(letter, DeadLetterHeaders.SourcePartition)!), long.Parse(Header(letter, DeadLetterHeaders.SourceOffset)!));
                    _copies[source] = _copies.GetValueOrDefault(source) + 1;
                }
            }

            return new Dictionary<(int, long), int>(_copies);
        }

        private long Position(int partition) =>
            _reader.Position(new TopicPartition(DeadLetterTopic, partition)) is { IsSpecial: false } position ? position.Value : 0;

        private static string? Header(ConsumeResult<Ignore, Ignore> letter, string name) =>
            letter.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

        public void Dispose() => _reader.Dispose();
    }
}

/// <summary>The dead-letter topic failing while the Consumer processes one message at a time (the default).</summary>
[Collection(FaultsAppCollection.Name)]
public sealed class OneByOneDeadLetterOutageTests(FaultsAppFixture fixture, ITestOutputHelper output) : DeadLetterOutageTests(fixture, output);

/// <summary>The dead-letter topic failing while the Consumer processes batches: the rest of a batch waits for its poison message's dead letter.</summary>
[Collection(BatchModeCollection.Name)]
public sealed class BatchDeadLetterOutageTests(BatchModeFixture fixture, ITestOutputHelper output) : DeadLetterOutageTests(fixture, output);
