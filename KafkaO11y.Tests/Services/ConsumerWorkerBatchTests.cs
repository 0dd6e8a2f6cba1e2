using System.Diagnostics;
using KafkaO11y.Consumer;
using KafkaO11y.Contracts;

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
        await SendAsync(Valid(), key: "first");
        await Poll.UntilAsync(() => Task.FromResult(Stats.Snapshot("").Current), current => current?.Offset == 0, Timeout, "the first message to be in progress");
        var senders = Enumerable.Range(0, 4).Select(_ => SenderContext()).ToList();
        await SendAsync(Valid(), key: "valid-1", sender: senders[0]);
        await SendAsync(Valid(), key: "valid-2", sender: senders[1]);
        await SendAsync("not JSON"u8.ToArray(), key: "malformed", sender: senders[2]);
        await SendAsync(Valid(), key: "valid-4", sender: senders[3]);

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
}
