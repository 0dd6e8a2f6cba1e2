using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.Kafka;
using KafkaO11y.Contracts;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace KafkaO11y.Consumer;

/// <summary>
/// The consumer group member: consumes the topic, processes each message inside its trace, and
/// stores its offset only after processing, so that what is committed has been processed
/// (at-least-once). A message that still fails after its retries (or is malformed) goes to the
/// dead-letter topic, and the consumer moves on past it; if even that fails, the message is read
/// again rather than skipped. On shutdown it commits and leaves the group. With
/// <see cref="ProcessingOptions.BatchSize"/> above 1, the messages ready together are processed in
/// one batch span, each still on its own.
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
                // The attempt that failed, counting from 1 (Polly counts from 0), and the jittered
                // wait before the next, so a trace shows where the time went.
                Activity.Current?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
                {
                    ["attempt"] = retry.AttemptNumber + 1,
                    ["delay_ms"] = retry.RetryDelay.TotalMilliseconds,
                }));
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    // How long to wait before reading again a message whose outcome is not known.
    private static readonly TimeSpan NoOutcomeDelay = TimeSpan.FromSeconds(1);

    // Set once the current message's dead letter is acknowledged; the loop handles one message at a time.
    private bool _deadLetterAcknowledged;

    private readonly int _batchSize = processing.Value.BatchSize;

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
                var consumed = ConsumeNext(stoppingToken);
                if (consumed is null)
                {
                    continue;
                }

                if (_batchSize == 1)
                {
                    await ProcessAsync(consumed, stoppingToken);
                }
                else
                {
                    await ProcessBatchAsync(ReadyWith(consumed), stoppingToken);
                }
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

    /// <summary>The next message; null after a consume error, which is logged.</summary>
    private ConsumeResult<string, byte[]>? ConsumeNext(CancellationToken stoppingToken)
    {
        try
        {
            return consumer.Consume(stoppingToken);
        }
        catch (ConsumeException e)
        {
            // Errors librdkafka reports here are transient (it reconnects by itself).
            LogConsumeError(e.Error.Code, e.Error.Reason);
            return null;
        }
    }

    /// <summary>The message just consumed and those ready after it, up to a batch.</summary>
    private List<ConsumeResult<string, byte[]>> ReadyWith(ConsumeResult<string, byte[]> first)
    {
        var batch = new List<ConsumeResult<string, byte[]>>(_batchSize) { first };
        try
        {
            while (batch.Count < _batchSize && consumer.Consume(TimeSpan.Zero) is { } next)
            {
                batch.Add(next);
            }
        }
        catch (ConsumeException e)
        {
            LogConsumeError(e.Error.Code, e.Error.Reason);
        }

        return batch;
    }

    private Task ProcessAsync(ConsumeResult<string, byte[]> consumed, CancellationToken stoppingToken) =>
        ProcessOneAsync(consumed, () => consumer.ProcessAsync(consumed, ProcessWithRetriesAsync, stoppingToken), stoppingToken);

    /// <summary>
    /// The batch in one span, each message on its own inside it. When one of them has no outcome,
    /// it and everything after it in the batch is read again: each partition is rewound to its
    /// first message not done.
    /// </summary>
    private Task ProcessBatchAsync(List<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken) =>
        consumer.ProcessBatchAsync(batch, async (messages, cancellationToken) =>
        {
            for (var index = 0; index < messages.Count; index++)
            {
                var consumed = messages[index];
                if (!await ProcessOneAsync(consumed, () => ProcessWithRetriesAsync(consumed, cancellationToken), stoppingToken))
                {
                    RewindRest(messages, index);
                    return;
                }
            }
        }, stoppingToken);

    /// <summary>
    /// Rewinds each partition of the batch's messages from <paramref name="from"/> (the message not
    /// done) on to the first of them: that message and everything after it are read again.
    /// </summary>
    private void RewindRest(IReadOnlyList<ConsumeResult<string, byte[]>> batch, int from)
    {
        foreach (var first in batch.Skip(from).DistinctBy(m => m.TopicPartition))
        {
            Rewind(first);
        }
    }

    /// <summary>One message: processed, or failed and dead-lettered, then its offset stored; false when it has neither outcome and is to be read again.</summary>
    private async Task<bool> ProcessOneAsync(ConsumeResult<string, byte[]> consumed, Func<Task> process, CancellationToken stoppingToken)
    {
        var succeeded = true;
        _deadLetterAcknowledged = false;
        stats.Started(consumed.Topic, consumed.Partition.Value, consumed.Offset.Value);
        try
        {
            await process();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-message: leave its offset uncommitted, so it is processed again.
            throw;
        }
        catch (Exception e) when (_deadLetterAcknowledged)
        {
            // Failed, and Kafka has its dead letter (logged inside the message's span). In a batch
            // the batch goes on: the failure is an event on the batch span, the current one. One
            // by one, the message's own span has ended with the failure and none is current.
            succeeded = false;
            Activity.Current?.AddException(e);
        }
        catch (Exception e)
        {
            // Neither processed nor dead-lettered (the dead-letter send itself failed in a way it
            // does not retry): storing its offset would lose it, so it is read again instead.
            await ConsumeAgainAsync(consumed, e, stoppingToken);
            return false;
        }

        consumer.StoreOffset(consumed);
        stats.Passed(consumed.Topic, consumed.Partition.Value, consumed.Offset.Value, succeeded);
        return true;
    }

    /// <summary>Rewinds the message's partition to it, so neither it nor anything after it on the partition is committed first.</summary>
    private async Task ConsumeAgainAsync(ConsumeResult<string, byte[]> consumed, Exception error, CancellationToken stoppingToken)
    {
        LogNoOutcome(consumed.Topic, consumed.Partition.Value, consumed.Offset.Value, error.GetType().FullName!, error.Message, NoOutcomeDelay.TotalMilliseconds, error);
        Rewind(consumed);
        await Task.Delay(NoOutcomeDelay, stoppingToken);
    }

    private void Rewind(ConsumeResult<string, byte[]> consumed)
    {
        try
        {
            consumer.Seek(consumed.TopicPartitionOffset);
        }
        catch (KafkaException e)
        {
            // The partition was revoked meanwhile: its next owner starts from the committed
            // offset, which is not past this message.
            LogSeekFailed(consumed.Topic, consumed.Partition.Value, e.Error.Reason);
        }
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
            _deadLetterAcknowledged = true;
            // The process span records the failure.
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "{Topic} partition {Partition} offset {Offset} was neither processed nor dead-lettered ({ErrorType}: {ErrorMessage}); its offset is not stored and it is read again in {DelayMilliseconds} ms")]
    private partial void LogNoOutcome(string topic, int partition, long offset, string errorType, string errorMessage, double delayMilliseconds, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rewind {Topic} partition {Partition} ({Reason}); its next owner reads it from the committed offset")]
    private partial void LogSeekFailed(string topic, int partition, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {Topic}")]
    private partial void LogSubscribed(string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka consume error {Code}: {Reason}")]
    private partial void LogConsumeError(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed offsets and left the consumer group")]
    private partial void LogClosed();
}
