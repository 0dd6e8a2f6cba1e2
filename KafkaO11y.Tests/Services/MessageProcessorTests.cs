using System.Text.Json;
using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Tests.Services;

/// <summary>What the Consumer's processor does with a message it has already processed (Processing:Duplicates).</summary>
public sealed class MessageProcessorTests
{
    /// <summary>
    /// The second copy of a message is counted as a duplicate either way; its work is done again
    /// only with <c>Process</c>. The work is seen to run because the second time it always fails.
    /// </summary>
    [Theory]
    [InlineData(DuplicateHandling.Skip, false)]
    [InlineData(DuplicateHandling.Process, true)]
    public async Task A_duplicate_is_counted_and_its_work_done_again_only_when_set_to_process(DuplicateHandling handling, bool workedAgain)
    {
        var options = Options.Create(new ProcessingOptions { DelayMilliseconds = 0, Duplicates = handling });
        var control = new ProcessingControl(options);
        var stats = new ProcessingStats();
        var processor = new MessageProcessor(options, control, stats, NullLogger<MessageProcessor>.Instance);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "test", "twice"), MessageJsonContext.Default.MessageBody);

        await processor.ProcessAsync(Consumed(body, offset: 10), CancellationToken.None);
        control.Update(new ProcessingUpdate(DelayMilliseconds: null, FailureRate: 1));
        var second = await Record.ExceptionAsync(() => processor.ProcessAsync(Consumed(body, offset: 11), CancellationToken.None));

        Assert.Equal(1, stats.Snapshot("member").Duplicates);
        Assert.Equal(workedAgain, second is SimulatedProcessingException);
        Assert.True(workedAgain || second is null, $"the skipped copy failed: {second}");
    }

    private static ConsumeResult<string, byte[]> Consumed(byte[] value, long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(MessageTopics.Messages, 0, offset),
        Message = new Message<string, byte[]> { Key = "twice", Value = value },
    };
}
