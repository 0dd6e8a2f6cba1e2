using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Messaging;
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
    [Range(1, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = 128 * 1024;
}

/// <summary>A message whose value is not a valid <see cref="MessageBody"/>.</summary>
public sealed class InvalidMessageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads a message and does the (simulated) work it asks for.</summary>
public sealed partial class MessageProcessor(
    IOptions<ProcessingOptions> options, ProcessingControl control, ILogger<MessageProcessor> logger)
{
    public async Task ProcessAsync(ConsumeResult<string, byte[]> consumed, CancellationToken cancellationToken)
    {
        var body = Read(consumed.Message.Value, options.Value.MaxMessageBytes);
        var settings = control.Settings;
        await Task.Delay(settings.DelayMilliseconds, cancellationToken);
        if (settings.FailureRate > 0 && Random.Shared.NextDouble() < settings.FailureRate)
        {
            throw new SimulatedProcessingException($"Simulated processing failure (failure rate {settings.FailureRate:P0}).");
        }

        LogProcessed(body.Id, body.Sequence, body.Producer, consumed.Topic, consumed.Partition.Value, consumed.Offset.Value,
            (DateTimeOffset.UtcNow - body.CreatedAt).TotalMilliseconds);
    }

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
