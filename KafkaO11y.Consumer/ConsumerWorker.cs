using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.ServiceDefaults.Kafka;
using KafkaO11y.ServiceDefaults.Messaging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace KafkaO11y.Consumer;

/// <summary>
/// The consumer group member: consumes the topic, processes each message inside its trace, and
/// stores its offset only after processing, so that what is committed has been processed
/// (at-least-once). A message that still fails after its retries (or is malformed) goes to the
/// dead-letter topic, and the consumer moves on past it. On shutdown it commits and leaves the group.
/// </summary>
public sealed partial class ConsumerWorker(
    IConsumer<string, byte[]> consumer,
    MessageProcessor processor,
    KafkaDeadLetterPublisher deadLetters,
    ProcessingStats stats,
    IOptions<MessagingOptions> messaging,
    IOptions<ProcessingOptions> processing,
    ILogger<ConsumerWorker> logger) : BackgroundService
{
    private readonly ResiliencePipeline _retries = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // A malformed message fails the same way every time: no retry.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not InvalidMessageException and not OperationCanceledException),
            MaxRetryAttempts = processing.Value.MaxAttempts - 1,
            Delay = TimeSpan.FromMilliseconds(processing.Value.RetryBackoffMilliseconds),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            OnRetry = retry =>
            {
                Activity.Current?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["attempt"] = retry.AttemptNumber + 1 }));
                return ValueTask.CompletedTask;
            },
        })
        .Build();

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
        var succeeded = true;
        try
        {
            await consumer.ProcessAsync(consumed, ProcessWithRetriesAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-message: leave its offset uncommitted, so it is processed again.
            throw;
        }
        catch (Exception)
        {
            // Already dead-lettered and logged inside the message's span.
            succeeded = false;
        }

        consumer.StoreOffset(consumed);
        stats.Passed(consumed.Topic, consumed.Partition.Value, consumed.Offset.Value, succeeded);
    }

    private async Task ProcessWithRetriesAsync(ConsumeResult<string, byte[]> consumed, CancellationToken cancellationToken)
    {
        try
        {
            await _retries.ExecuteAsync(
                static async (state, token) => await state.processor.ProcessAsync(state.consumed, token),
                (processor, consumed),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await deadLetters.PublishAsync(consumed, e, cancellationToken);
            // The process span records the failure.
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {Topic}")]
    private partial void LogSubscribed(string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka consume error {Code}: {Reason}")]
    private partial void LogConsumeError(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed offsets and left the consumer group")]
    private partial void LogClosed();
}
