using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using KafkaO11y.Producer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// What the Producer puts on the topic, read back from the embedded broker: the message body a
/// consumer relies on (id, sequence, creation time, sender), its key and Kafka timestamp, the copies
/// and poison messages sent on request, and the log line for each.
/// </summary>
public sealed class MessagePublisherTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _topic = $"publisher-{Guid.NewGuid():N}";
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly CapturedTelemetry _telemetry = new();

    public MessagePublisherTests() =>
        _kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic(_topic, Partitions: 2)]);

    /// <summary>
    /// Each message gets a new id, the next sequence number, its creation time as its Kafka
    /// timestamp (the end-to-end latency is measured from it) and the service's name as sender
    /// (OTEL_SERVICE_NAME, else the application's name); its key is the caller's, else its id.
    /// </summary>
    [Theory]
    [InlineData("producer-under-test", "producer-under-test")]
    [InlineData(null, "publisher-app")]
    public async Task A_message_carries_a_new_id_the_next_sequence_its_creation_time_and_its_sender(string? serviceName, string sender)
    {
        using var host = StartPublisher(serviceName);
        var publisher = host.Services.GetRequiredService<MessagePublisher>();

        var before = DateTimeOffset.UtcNow;
        var keyed = await publisher.PublishAsync("first", key: "chosen-key", CancellationToken.None);
        var unkeyed = await publisher.PublishAsync("second", key: null, CancellationToken.None);
        var after = DateTimeOffset.UtcNow;

        var messages = TopicReader.Read(_kafka.BootstrapServers, _topic, expected: 2, Timeout);
        foreach (var (published, payload, key) in new[] { (keyed, "first", "chosen-key"), (unkeyed, "second", unkeyed.Id.ToString()) })
        {
            var message = Assert.Single(messages, m => m.TopicPartitionOffset == new TopicPartitionOffset(_topic, published.Partition, published.Offset));
            var body = JsonSerializer.Deserialize(message.Message.Value, MessageJsonContext.Default.MessageBody)!;
            Assert.Equal((published.Id, published.Sequence, sender, payload), (body.Id, body.Sequence, body.Producer, body.Payload));
            Assert.Equal(key, message.Message.Key);
            Assert.InRange(body.CreatedAt, before, after);
            Assert.Equal((TimestampType.CreateTime, body.CreatedAt.ToUnixTimeMilliseconds()), (message.Message.Timestamp.Type, message.Message.Timestamp.UnixTimestampMs));
            var logged = Assert.Single(_telemetry.LogsStartingWith($"Published message {body.Id} (sequence {body.Sequence}) to {_topic} partition {published.Partition} at offset {published.Offset}"));
            Assert.Equal(LogLevel.Information, logged.LogLevel);
        }

        Assert.Equal((1, 2), (keyed.Sequence, unkeyed.Sequence));
        Assert.NotEqual(keyed.Id, unkeyed.Id);
    }

    /// <summary>Send twice: the same message (id, sequence, key, value, timestamp) at two offsets, each copy logged as a warning.</summary>
    [Fact]
    public async Task A_message_sent_twice_is_the_same_message_at_two_offsets()
    {
        using var host = StartPublisher("producer-under-test");
        var publisher = host.Services.GetRequiredService<MessagePublisher>();

        var copies = await publisher.PublishTwiceAsync("twice", CancellationToken.None);

        Assert.Equal(2, copies.Count);
        Assert.Equal(copies[0] with { Offset = 0 }, copies[1] with { Offset = 0 });
        var messages = TopicReader.Read(_kafka.BootstrapServers, _topic, expected: 2, Timeout).OrderBy(m => m.Offset.Value).ToList();
        Assert.Equal(copies.Select(c => c.Offset), messages.Select(m => m.Offset.Value));
        Assert.Equal(messages[0].Message.Value, messages[1].Message.Value);
        Assert.Equal(messages[0].Message.Timestamp, messages[1].Message.Timestamp);
        Assert.All(messages, m => Assert.Equal(copies[0].Id.ToString(), m.Message.Key));
        var body = JsonSerializer.Deserialize(messages[0].Message.Value, MessageJsonContext.Default.MessageBody)!;
        Assert.Equal((copies[0].Id, 1L, "twice"), (body.Id, body.Sequence, body.Payload));
        for (var copy = 1; copy <= 2; copy++)
        {
            var logged = Assert.Single(_telemetry.LogsStartingWith($"Published message {body.Id} (copy {copy} of 2) to {_topic} partition {copies[copy - 1].Partition} at offset {copies[copy - 1].Offset}, on request"));
            Assert.Equal(LogLevel.Warning, logged.LogLevel);
        }
    }

    /// <summary>Poison messages come in four kinds, in turn, each keyed by its kind and logged as a warning.</summary>
    [Fact]
    public async Task Poison_messages_are_each_kind_in_turn()
    {
        using var host = StartPublisher("producer-under-test");
        var publisher = host.Services.GetRequiredService<MessagePublisher>();

        var published = new List<PublishedMessage>();
        for (var index = 0; index < 5; index++)
        {
            published.Add(await publisher.PublishPoisonAsync(index, CancellationToken.None));
        }

        var messages = TopicReader.Read(_kafka.BootstrapServers, _topic, expected: 5, Timeout);
        string[] kinds = ["not-json", "missing-fields", "null-value", "oversized", "not-json"];
        for (var index = 0; index < kinds.Length; index++)
        {
            var sent = published[index];
            var message = Assert.Single(messages, m => m.TopicPartitionOffset == new TopicPartitionOffset(_topic, sent.Partition, sent.Offset));
            Assert.Equal($"poison-{kinds[index]}-{sent.Id}", message.Message.Key);
            Assert.Equal(0, sent.Sequence);
            Assert.Single(_telemetry.LogsStartingWith($"Published a poison message ({kinds[index]}) to {_topic} partition {sent.Partition} at offset {sent.Offset}, on request"),
                log => log.LogLevel == LogLevel.Warning);
            var value = message.Message.Value;
            switch (kinds[index])
            {
                case "not-json":
                    Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(value));
                    break;
                case "missing-fields":
                    using (var json = JsonDocument.Parse(value))
                    {
                        Assert.Equal(["payload"], json.RootElement.EnumerateObject().Select(p => p.Name));
                    }

                    break;
                case "null-value":
                    Assert.Null(value);
                    break;
                case "oversized":
                    Assert.Equal(MessageLimits.MaxMessageBytes + 1, value.Length);
                    break;
            }
        }
    }

    private IHost StartPublisher(string? serviceName)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "publisher-app" });
        builder.Configuration["ConnectionStrings:kafka"] = _kafka.BootstrapServers;
        builder.Configuration["Messaging:Topic"] = _topic;
        builder.Configuration["OTEL_SERVICE_NAME"] = serviceName;
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section);
        builder.Services.AddSingleton<MessagePublisher>();
        _telemetry.AddTo(builder);
        var host = builder.Build();
        host.Start();
        return host;
    }

    public void Dispose() => _kafka.Dispose();
}
