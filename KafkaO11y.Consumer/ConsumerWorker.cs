using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;
using KafkaO11y.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Consumer;

/// <summary>
/// The consumer group member: consumes the topic, processes each message inside its trace, and
/// stores its offset only after processing, so that what is committed has been processed
/// (at-least-once). On shutdown it commits and leaves the group.
/// </summary>
public sealed partial class ConsumerWorker(
    IConsumer<string, byte[]> consumer,
    MessageProcessor processor,
    ProcessingStats stats,
    IOptions<MessagingOptions> messaging,
    ILogger<ConsumerWorker> logger) : BackgroundService
{
    // Consume blocks its thread, so the loop gets its own rather than holding up the host's start.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => ConsumeLoopAsync(stoppingToken), stoppingToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task ConsumeLoopAsync(CancellationToken stoppingToken)
    {
        consumer.Subscribe(messaging.Value.Topic);
        LogSubscribed(messaging.Value.Topic);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string, byte[]> consumed;
                try
                {
                    consumed = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException e)
                {
                    // Errors librdkafka reports here are transient (it reconnects by itself).
                    LogConsumeError(e.Error.Code, e.Error.Reason);
                    continue;
                }

                await ProcessAsync(consumed, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Commits the stored offsets and leaves the group, so the partitions move on at once.
            consumer.Close();
            LogClosed();
        }
    }

    private async Task ProcessAsync(ConsumeResult<string, byte[]> consumed, CancellationToken stoppingToken)
    {
        try
        {
            await consumer.ProcessAsync(consumed, processor.ProcessAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-message: leave its offset uncommitted, so it is processed again.
            throw;
        }
        catch (Exception e)
        {
            stats.Failed();
            LogProcessingFailed(e, consumed.Topic, consumed.Partition.Value, consumed.Offset.Value);
        }

        consumer.StoreOffset(consumed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {Topic}")]
    private partial void LogSubscribed(string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka consume error {Code}: {Reason}")]
    private partial void LogConsumeError(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing failed for {Topic} partition {Partition} offset {Offset}; the message is skipped")]
    private partial void LogProcessingFailed(Exception error, string topic, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed offsets and left the consumer group")]
    private partial void LogClosed();
}
