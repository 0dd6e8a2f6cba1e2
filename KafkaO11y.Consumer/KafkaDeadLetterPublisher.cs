using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Consumer;

/// <summary>
/// Writes a message that could not be processed to its dead-letter topic (<see cref="MessageTopics.DeadLetterOf"/>):
/// the original key, value and headers, plus the <see cref="DeadLetterHeaders"/> saying where it came from and why it failed. Called inside the message's
/// <c>process</c> span, so the dead-letter send (and its <c>traceparent</c>) stays in the original trace.
/// </summary>
public sealed partial class KafkaDeadLetterPublisher(IProducer<string, byte[]> producer, ILogger<KafkaDeadLetterPublisher> logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Publishes until Kafka acknowledges: a dead letter is not dropped because the broker is briefly
    /// away. Only cancellation (shutdown) stops it, and then the source offset stays uncommitted.
    /// </summary>
    public async Task PublishAsync(ConsumeResult<string, byte[]> failed, Exception error, CancellationToken cancellationToken)
    {
        var errorType = error.GetType().FullName!;
        var deadLetterTopic = MessageTopics.DeadLetterOf(failed.Topic);
        var headers = new Headers();
        foreach (var header in failed.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        if (failed.Message.Headers?.TryGetLastBytes(KafkaHeaderPropagation.TraceParentHeader, out var traceparent) == true)
        {
            headers.Add(DeadLetterHeaders.SourceTraceparent, traceparent);
        }

        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(failed.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(failed.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(failed.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.ErrorType, Encoding.UTF8.GetBytes(errorType));
        headers.Add(DeadLetterHeaders.ErrorMessage, Encoding.UTF8.GetBytes(error.Message));

        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var result = await producer.ProduceAsync(deadLetterTopic, new Message<string, byte[]>
                {
                    Key = failed.Message.Key,
                    Value = failed.Message.Value,
                    Headers = headers,
                    Timestamp = failed.Message.Timestamp,
                }, cancellationToken).ConfigureAwait(false);

                ConsumerTelemetry.DeadLetteredMessages.Add(1, new TagList
                {
                    { MessagingAttributes.System, MessagingAttributes.KafkaSystem },
                    { MessagingAttributes.DestinationName, failed.Topic },
                    { MessagingAttributes.ErrorType, errorType },
                });
                LogDeadLettered(failed.Topic, failed.Partition.Value, failed.Offset.Value, result.Topic, result.Offset.Value, errorType, error.Message);
                return;
            }
            catch (ProduceException<string, byte[]> e)
            {
                LogDeadLetterRetry(failed.Topic, failed.Partition.Value, failed.Offset.Value, e.Error.Reason, backoff.TotalMilliseconds);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Dead-lettered {Topic} partition {Partition} offset {Offset} to {DeadLetterTopic} at offset {DeadLetterOffset}: {ErrorType}: {ErrorMessage}")]
    private partial void LogDeadLettered(string topic, int partition, long offset, string deadLetterTopic, long deadLetterOffset, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Could not dead-letter {Topic} partition {Partition} offset {Offset} ({Reason}); trying again in {BackoffMilliseconds} ms")]
    private partial void LogDeadLetterRetry(string topic, int partition, long offset, string reason, double backoffMilliseconds);
}
