using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Producer;

/// <summary>Where Kafka put a message it acknowledged.</summary>
public sealed record PublishedMessage(Guid Id, long Sequence, string Topic, int Partition, long Offset);

/// <summary>
/// Makes messages (id, sequence number, creation time) and sends them to the topic, answering once
/// Kafka acknowledged them (idempotent producer, acks=all).
/// </summary>
public sealed partial class MessagePublisher(
    IProducer<string, byte[]> producer,
    IOptions<MessagingOptions> messaging,
    IHostEnvironment environment,
    IConfiguration configuration,
    ILogger<MessagePublisher> logger)
{
    private readonly string _producerName = configuration["OTEL_SERVICE_NAME"] ?? environment.ApplicationName;
    private long _sequence;

    public async Task<PublishedMessage> PublishAsync(string payload, string? key, CancellationToken cancellationToken)
    {
        var body = new MessageBody(
            Guid.CreateVersion7(), Interlocked.Increment(ref _sequence), DateTimeOffset.UtcNow, _producerName, payload);
        var message = new Message<string, byte[]>
        {
            Key = key ?? body.Id.ToString(),
            Value = JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody),
            // The Kafka timestamp is the creation time, so consumers can measure end-to-end latency.
            Timestamp = new Timestamp(body.CreatedAt),
        };

        var result = await producer.ProduceAsync(messaging.Value.Topic, message, cancellationToken);
        LogPublished(body.Id, body.Sequence, result.Topic, result.Partition.Value, result.Offset.Value);
        return new PublishedMessage(body.Id, body.Sequence, result.Topic, result.Partition.Value, result.Offset.Value);
    }

    /// <summary>
    /// Sends one message twice, same id and key, as a producer does that retries after losing the
    /// acknowledgement of a send Kafka did take: the Consumer sees the second copy as a duplicate.
    /// </summary>
    public async Task<IReadOnlyList<PublishedMessage>> PublishTwiceAsync(string payload, CancellationToken cancellationToken)
    {
        var body = new MessageBody(
            Guid.CreateVersion7(), Interlocked.Increment(ref _sequence), DateTimeOffset.UtcNow, _producerName, payload);
        var sent = new List<PublishedMessage>(2);
        for (var copy = 1; copy <= 2; copy++)
        {
            var result = await producer.ProduceAsync(messaging.Value.Topic, new Message<string, byte[]>
            {
                Key = body.Id.ToString(),
                Value = JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody),
                Timestamp = new Timestamp(body.CreatedAt),
            }, cancellationToken);
            LogPublishedCopy(body.Id, copy, result.Topic, result.Partition.Value, result.Offset.Value);
            sent.Add(new PublishedMessage(body.Id, body.Sequence, result.Topic, result.Partition.Value, result.Offset.Value));
        }

        return sent;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Published message {MessageId} (copy {Copy} of 2) to {Topic} partition {Partition} at offset {Offset}, on request")]
    private partial void LogPublishedCopy(Guid messageId, int copy, string topic, int partition, long offset);

    /// <summary>The kinds of message a consumer must survive: each ends in the dead-letter topic.</summary>
    public static readonly IReadOnlyList<(string Kind, Func<byte[]?> Value)> PoisonKinds =
    [
        ("not-json", () => "this is { not json"u8.ToArray()),
        ("missing-fields", () => "{\"payload\":\"no id, sequence, createdAt or producer\"}"u8.ToArray()),
        ("null-value", () => null),
        // Above what any Consumer may be set to process.
        ("oversized", () => new byte[MessageLimits.MaxMessageBytes + 1]),
    ];

    /// <summary>Sends one malformed message of the given kind (by index, cycling), as a faulty producer would.</summary>
    public async Task<PublishedMessage> PublishPoisonAsync(int index, CancellationToken cancellationToken)
    {
        var (kind, value) = PoisonKinds[index % PoisonKinds.Count];
        var id = Guid.CreateVersion7();
        var result = await producer.ProduceAsync(messaging.Value.Topic, new Message<string, byte[]>
        {
            Key = $"poison-{kind}-{id}",
            Value = value()!,
        }, cancellationToken);
        LogPoisonPublished(kind, result.Topic, result.Partition.Value, result.Offset.Value);
        return new PublishedMessage(id, 0, result.Topic, result.Partition.Value, result.Offset.Value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Published a poison message ({Kind}) to {Topic} partition {Partition} at offset {Offset}, on request")]
    private partial void LogPoisonPublished(string kind, string topic, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Published message {MessageId} (sequence {Sequence}) to {Topic} partition {Partition} at offset {Offset}")]
    private partial void LogPublished(Guid messageId, long sequence, string topic, int partition, long offset);
}
