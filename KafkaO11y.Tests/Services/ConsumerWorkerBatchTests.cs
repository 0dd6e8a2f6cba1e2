using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;
using KafkaO11y.EmbeddedKafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// The worker in batch mode (<c>Processing:BatchSize</c> 10): every promise of
/// <see cref="ConsumerWorkerTests"/> again, and what only a batch shows.
/// </summary>
public sealed class ConsumerWorkerBatchTests() : ConsumerWorkerTests(batchSize: 10)
{
    /// <summary>
    /// Messages ready together are processed in one batch span that links to each sender, one by
    /// one inside it: while one is in progress the commit never passes it, and a malformed one among
    /// them is dead-lettered on its own, with its reason, by a send inside the batch span, while the
    /// others are processed.
    /// </summary>
    [Fact]
    public async Task Messages_ready_together_share_a_batch_span_and_a_bad_one_among_them_is_dead_lettered_on_its_own()
    {
        // Offset 0 takes a second, while the next four arrive: they are ready together after it.
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 1_000, FailureRate: null));
        await SendAsync(MessageBodies.Valid(), key: "first");
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 0, Timeout, "the first message to be in progress");
        var senders = Enumerable.Range(0, 4).Select(_ => SenderContext()).ToList();
        await SendAsync(MessageBodies.Valid(), key: "valid-1", sender: senders[0]);
        await SendAsync(MessageBodies.Valid(), key: "valid-2", sender: senders[1]);
        await SendAsync("not JSON"u8.ToArray(), key: "malformed", sender: senders[2]);
        await SendAsync(MessageBodies.Valid(), key: "valid-4", sender: senders[3]);

        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 2, Timeout, "offset 2, in the batch, to be in progress");
        var whileInProgress = new List<long>();
        for (var look = 0; look < 5 && Stats.Snapshot("").Current?.Offset == 2; look++)
        {
            whileInProgress.Add(await CommittedAsync());
            await Task.Delay(100);
        }

        Assert.True(whileInProgress.Count > 0 && whileInProgress.All(c => c <= 2),
            $"committed {string.Join(", ", whileInProgress)} while offset 2 was in progress");
        await Poll.UntilAsync(CommittedAsync, committed => committed == 5, Timeout, "the batch to be committed past");
        Assert.Equal((4, 1), (Stats.Snapshot("").Processed, Stats.Snapshot("").Failed));

        var letter = Assert.Single(TopicReader.Read(Kafka.BootstrapServers, MessageTopics.DeadLetterOf(Topic), expected: 1, Timeout));
        Assert.Equal(("malformed", "3", typeof(InvalidMessageException).FullName), (letter.Message.Key, Header(letter, DeadLetterHeaders.SourceOffset), Header(letter, DeadLetterHeaders.ErrorType)));
        var batch = AssertDeadLetterInTrace(letter, senders[2], nameof(InvalidMessageException));
        Assert.Equal(4, batch.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(senders.Select(s => s.SpanId.ToHexString()).Order(), batch.Links.Select(l => l.Context.SpanId.ToHexString()).Order());
        Assert.All(senders, sender => Assert.Same(batch, ProcessSpanOf(sender)));
    }

    /// <summary>
    /// A batch holds at most <c>Processing:BatchSize</c> messages: more ready together are
    /// processed in as many batches as it takes, and every one of them is committed past.
    /// </summary>
    [Fact]
    public async Task More_messages_ready_than_a_batch_holds_are_processed_in_batches_of_at_most_its_size()
    {
        // Offset 0 takes a second, while the next 24 arrive: they are ready together after it.
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 1_000, FailureRate: null));
        await SendAsync(MessageBodies.Valid(), key: "first");
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 0, Timeout, "the first message to be in progress");
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 0, FailureRate: null));
        await Task.WhenAll(Enumerable.Range(1, 24).Select(_ => SendAsync(MessageBodies.Valid())));

        await Poll.UntilAsync(CommittedAsync, committed => committed == 25, Timeout, "every message to be committed past");
        var batchSizes = Telemetry.Spans.Where(span => span.DisplayName == $"process {Topic}").Select(span => span.GetTagItem("messaging.batch.message_count")).OfType<int>().ToList();
        Assert.Equal(25, batchSizes.Sum());
        Assert.All(batchSizes, size => Assert.InRange(size, 1, BatchSize));
        Assert.Contains(BatchSize, batchSizes);
    }

    /// <summary>
    /// A consume error while a batch is gathered (a fetch the broker answers with an error) ends
    /// the batch there: it is logged as a warning, the messages read before it are processed
    /// together, and the worker goes on.
    /// </summary>
    [Fact]
    public async Task A_consume_error_while_a_batch_is_gathered_is_logged_and_the_messages_read_before_it_are_processed()
    {
        // Offset 0 takes three seconds. Meanwhile the next two are fetched (a fetch waits at most
        // half a second for data), and then the fetch after them fails: the error is behind them.
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 3_000, FailureRate: null));
        await SendAsync(MessageBodies.Valid(), key: "first");
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 0, Timeout, "the first message to be in progress");
        var senders = new[] { SenderContext(), SenderContext() };
        await SendAsync(MessageBodies.Valid(), key: "second", sender: senders[0]);
        await SendAsync(MessageBodies.Valid(), key: "third", sender: senders[1]);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Kafka.FailRequests(Topic, KafkaRequest.Fetch, KafkaErrorCode.RequestTimedOut, count: 1);
        Control.Update(new ProcessingUpdate(DelayMilliseconds: 0, FailureRate: null));

        await Poll.UntilAsync(CommittedAsync, committed => committed == 3, Timeout, "the batch to be committed past");
        var error = Assert.Single(Telemetry.LogsStartingWith($"Kafka consume error {ErrorCode.RequestTimedOut}"));
        Assert.Equal(LogLevel.Warning, error.LogLevel);
        var batch = ProcessSpanOf(senders[0]);
        Assert.Same(batch, ProcessSpanOf(senders[1]));
        Assert.Equal(2, batch.GetTagItem("messaging.batch.message_count"));

        await SendAsync(MessageBodies.Valid(), key: "after");
        await Poll.UntilAsync(CommittedAsync, committed => committed == 4, Timeout, "the message after the error to be processed");
    }
}
