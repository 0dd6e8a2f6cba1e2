using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Consumer;

/// <summary>Settings of the simulated work (section <c>Processing</c>).</summary>
public sealed class ProcessingOptions
{
    public const string Section = "Processing";
    public const int MaxDelayMilliseconds = 60_000;

    /// <summary>How long processing one message takes.</summary>
    [Range(0, MaxDelayMilliseconds)]
    public int DelayMilliseconds { get; set; } = 20;

    /// <summary>Attempts per message before it goes to the dead-letter topic (failures other than a malformed message).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before the first retry; doubled (with jitter) for each further one.</summary>
    [Range(0, 60_000)]
    public int RetryBackoffMilliseconds { get; set; } = 100;

    /// <summary>Largest message value processed; a larger one is dead-lettered unread.</summary>
    [Range(1, MessageLimits.MaxMessageBytes)]
    public int MaxMessageBytes { get; set; } = MessageLimits.MaxMessageBytes;

    /// <summary>What to do with a message already processed: skip its work (default) or do it again. Both count and log it.</summary>
    public DuplicateHandling Duplicates { get; set; } = DuplicateHandling.Skip;

    /// <summary>
    /// Messages processed together in one batch span (1: each in a span of its own). A batch is
    /// what is ready when its first message arrives, up to this many; its messages are still
    /// processed, retried, dead-lettered and committed one by one, in order.
    /// </summary>
    [Range(1, 1_000)]
    public int BatchSize { get; set; } = 1;

    /// <summary>Message ids remembered per partition to recognise duplicates (about 60 bytes each).</summary>
    [Range(1, 1_000_000)]
    public int DuplicateWindow { get; set; } = 10_000;
}

/// <summary>A message whose value is not a valid <see cref="MessageBody"/>.</summary>
public sealed class InvalidMessageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads a message and does the (simulated) work it asks for.</summary>
public sealed partial class MessageProcessor(
    IOptions<ProcessingOptions> options, ProcessingControl control, ProcessingStats stats, ILogger<MessageProcessor> logger)
{
    private readonly RecentMessages _recent = new(options.Value.DuplicateWindow);

    public async Task ProcessAsync(ConsumeResult<string, byte[]> consumed, CancellationToken cancellationToken)
    {
        var body = Read(consumed.Message.Value, options.Value.MaxMessageBytes);
        var (topic, partition, offset) = (consumed.Topic, consumed.Partition.Value, consumed.Offset.Value);
        if (_recent.TryGetProcessed(topic, partition, body.Id, out var processedAt))
        {
            Duplicate(body, topic, partition, offset, processedAt);
            if (options.Value.Duplicates == DuplicateHandling.Skip)
            {
                return;
            }
        }

        var settings = control.Settings;
        await Task.Delay(settings.DelayMilliseconds, cancellationToken);
        // NextDouble is in [0, 1): a rate of 0 never fails, 1 always does.
        if (Random.Shared.NextDouble() < settings.FailureRate)
        {
            throw new SimulatedProcessingException($"Simulated processing failure (failure rate {settings.FailureRate:P0}).");
        }

        _recent.Processed(topic, partition, body.Id, offset);
        LogProcessed(body.Id, body.Sequence, body.Producer, topic, partition, offset,
            (DateTimeOffset.UtcNow - body.CreatedAt).TotalMilliseconds);
    }

    /// <summary>Makes a duplicate visible: a counter by topic and partition, a log line and a span attribute, all in the message's trace.</summary>
    private void Duplicate(MessageBody body, string topic, int partition, long offset, long processedAt)
    {
        var partitionId = partition.ToString(CultureInfo.InvariantCulture);
        ConsumerTelemetry.DuplicateMessages.Add(1, new TagList
        {
            { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
            { MessagingAttributes.DestinationName, topic },
            { MessagingAttributes.PartitionId, partitionId },
        });
        stats.Duplicate();
        Activity.Current?.SetTag(DuplicateAttribute, true);
        LogDuplicate(body.Id, body.Sequence, topic, partition, offset, processedAt, options.Value.Duplicates);
    }

    /// <summary>Set on the process span of a message that was a duplicate.</summary>
    public const string DuplicateAttribute = "kafkao11y.message.duplicate";

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Duplicate message {MessageId} (sequence {Sequence}) from {Topic} partition {Partition} offset {Offset}: already processed at offset {ProcessedOffset}; {Handling}")]
    private partial void LogDuplicate(Guid messageId, long sequence, string topic, int partition, long offset, long processedOffset, DuplicateHandling handling);

    private static MessageBody Read(byte[]? value, int maxBytes)
    {
        if (value is null)
        {
            throw new InvalidMessageException("The message has no value.");
        }

        if (value.Length > maxBytes)
        {
            throw new InvalidMessageException($"The message value has {value.Length} bytes; at most {maxBytes} are processed.");
        }

        MessageBody? body;
        try
        {
            body = JsonSerializer.Deserialize(value, MessageJsonContext.Default.MessageBody);
        }
        catch (JsonException e)
        {
            throw new InvalidMessageException($"The message value is not valid JSON: {e.Message}", e);
        }

        if (body is null || body.Id == Guid.Empty || body.Sequence < 1 || body.CreatedAt == default
            || string.IsNullOrEmpty(body.Producer) || body.Payload is null)
        {
            throw new InvalidMessageException("The message lacks a required field (id, sequence, createdAt, producer, payload).");
        }

        return body;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Processed message {MessageId} (sequence {Sequence} from {Producer}) from {Topic} partition {Partition} offset {Offset}, {EndToEndMilliseconds:F1} ms after it was created")]
    private partial void LogProcessed(Guid messageId, long sequence, string producer, string topic, int partition, long offset, double endToEndMilliseconds);
}
