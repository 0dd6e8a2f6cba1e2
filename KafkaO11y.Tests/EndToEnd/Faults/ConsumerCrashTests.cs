using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Xunit.Abstractions;
using KafkaO11y.Consumer;
using Stats = KafkaO11y.Consumer.ProcessingSnapshot;

namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>
/// The Consumer dying the hard way (SIGKILL: no shutdown, no final commit), on the real services
/// and the embedded broker, in both processing modes. At-least-once promises nothing accepted is
/// lost; what is redone is at most what the dead process had processed since its last commit, and
/// the figures say how much.
/// </summary>
public abstract class ConsumerCrashTests(EmbeddedAppFixture fixture, ITestOutputHelper output)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_consumer_killed_in_the_middle_of_a_message_loses_nothing_and_redoes_only_what_it_had_not_committed()
    {
        const int Messages = 200;
        using var producer = fixture.CreateHttpClient("producer");
        var accepted = new ConcurrentBag<Published>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, token) =>
        {
            using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"crash-{i}" }, token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((await response.Content.ReadFromJsonAsync<Published>(token))!);
        });

        // Mid-stream: once a third of them is processed, each message takes a minute of "work".
        // The kill comes once the Consumer is on one it cannot finish and its partition's
        // auto-commit (every 5 s) has run since: the commit must stop at that message.
        await Poll.UntilAsync(StatsAsync,
            stats => accepted.Count(m => Processed(stats, m)) >= Messages / 3, Timeout, "a third of the messages to be processed");
        using (var consumer = fixture.CreateHttpClient("consumer"))
        {
            (await consumer.PutAsJsonAsync("/processing", new { delayMilliseconds = 60_000 })).EnsureSuccessStatusCode();
        }

        var (inProgress, commitWhileInProgress) = await Poll.UntilAsync(InProgressAndCommittedUpToItAsync,
            found => found.Message is not null, Timeout, "the Consumer to be on a slow message with its partition committed up to it");
        Assert.True(commitWhileInProgress == inProgress!.Offset,
            $"partition {inProgress.Partition}: committed {commitWhileInProgress} while offset {inProgress.Offset} was in progress; a crash now would skip it");

        var beforeKill = await StatsAsync();
        var killed = await ServiceCrash.KillAsync(fixture.App, "consumer");
        Assert.Equal(inProgress, beforeKill.Current);
        var lastProcessed = Partitions(beforeKill).ToDictionary(p => p.Partition, p => p.LastOffset);
        var committed = await ConsumerGroupOffsets.CommittedAsync(fixture.App, Topic, lastProcessed.Keys);

        // Restarted as a user would after a crash (its processing speed is the default again).
        await ServiceCrash.RestartAfterCrashAsync(fixture.App, "consumer", Timeout);

        var ends = accepted.GroupBy(m => m.Partition).ToDictionary(g => g.Key, g => g.Max(m => m.Offset));
        var afterRestart = await Poll.UntilAsync(StatsAsync,
            stats => ends.All(end => Partitions(stats).Any(p => p.Partition == end.Key && p.LastOffset >= end.Value)),
            Timeout, "the restarted Consumer to reach the last accepted message of each partition");

        // Nothing lost: every offset below the commit was processed before the kill (the Consumer
        // commits only what it processed), and the restarted one began exactly at the commit. So
        // what was done twice is exactly what had been processed since the last commit, never more
        // (a restart before the commit would redo older messages; one after it would skip some).
        var redone = 0L;
        foreach (var (partition, commit) in committed)
        {
            Assert.True(commit <= lastProcessed[partition] + 1,
                $"partition {partition}: committed {commit} past the last processed offset {lastProcessed[partition]}");
            var resumedAt = Partitions(afterRestart).Single(p => p.Partition == partition).FirstOffset;
            Assert.Equal(commit, resumedAt);
            redone += Math.Max(0, lastProcessed[partition] - commit + 1);
        }

        output.WriteLine($"accepted: {accepted.Count}; killed pid(s) {string.Join(',', killed)} during {inProgress.Partition}/{inProgress.Offset}; " +
            $"processed before the kill: {beforeKill.Processed}; committed: {Describe(committed)}; last processed: {Describe(lastProcessed)}; " +
            $"processed twice (since the last commit, redone after the restart): {redone}; lost: 0");
        // Each message, not just the highest offset of each partition: processed before the kill or after the restart.
        Assert.All(accepted, m => Assert.True(Processed(beforeKill, m) || Processed(afterRestart, m),
            $"message at {m.Partition}/{m.Offset} processed neither before the kill ({Describe(beforeKill, m.Partition)}) nor after the restart ({Describe(afterRestart, m.Partition)})"));
        Assert.True(Processed(afterRestart, inProgress.Partition, inProgress.Offset),
            $"the message in progress at the kill, {inProgress.Partition}/{inProgress.Offset}, was not processed after the restart ({Describe(afterRestart, inProgress.Partition)})");
    }

    /// <summary>
    /// The message the Consumer is on, and its partition's commit, once that commit has reached it
    /// and the Consumer is still on it (a fast message would be gone by then); nulls until then.
    /// </summary>
    private async Task<(MessagePosition? Message, long Committed)> InProgressAndCommittedUpToItAsync()
    {
        if ((await StatsAsync()).Current is not { Topic: Topic } current)
        {
            return (null, -1);
        }

        var committed = (await ConsumerGroupOffsets.CommittedAsync(fixture.App, Topic, [current.Partition]))[current.Partition];
        return committed >= current.Offset && (await StatsAsync()).Current == current ? (current, committed) : (null, -1);
    }

    private static IEnumerable<KafkaO11y.Consumer.PartitionProgress> Partitions(Stats stats) => stats.Partitions.Where(p => p.Topic == Topic);

    private static bool Processed(Stats stats, Published message) => Processed(stats, message.Partition, message.Offset);

    private static bool Processed(Stats stats, int partition, long offset) => stats.GotPast(Topic, partition, offset);

    private static string Describe(Stats stats, int partition) =>
        Partitions(stats).SingleOrDefault(p => p.Partition == partition) is { } p ? $"{p.FirstOffset} to {p.LastOffset}" : "none";

    private static string Describe(IReadOnlyDictionary<int, long> offsets) =>
        string.Join(' ', offsets.OrderBy(o => o.Key).Select(o => $"{o.Key}:{o.Value}"));

    private async Task<Stats> StatsAsync()
    {
        using var consumer = fixture.CreateHttpClient("consumer");
        return (await consumer.GetFromJsonAsync<Stats>("/stats"))!;
    }
}

/// <summary>The Consumer killed while it processes one message at a time (the default).</summary>
[Collection(FaultsAppCollection.Name)]
public sealed class OneByOneConsumerCrashTests(FaultsAppFixture fixture, ITestOutputHelper output) : ConsumerCrashTests(fixture, output);

/// <summary>The Consumer killed in the middle of a batch: the commit stops at the message in progress, not at the batch's start or end.</summary>
[Collection(BatchModeCollection.Name)]
public sealed class BatchConsumerCrashTests(BatchModeFixture fixture, ITestOutputHelper output) : ConsumerCrashTests(fixture, output);
