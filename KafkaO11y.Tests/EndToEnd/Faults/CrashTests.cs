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
/// Processes dying the hard way (SIGKILL: no shutdown, no final commit), on the real services and
/// the embedded broker. At-least-once promises nothing accepted is lost; what is redone is at most
/// what the dead process had processed since its last commit, and the figures say how much.
/// </summary>
[Collection(FaultsAppCollection.Name)]
public sealed class CrashTests(FaultsAppFixture fixture, ITestOutputHelper output)
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

    /// <summary>
    /// The Producer killed while requests pour in: a request it answered 202 was acknowledged by
    /// Kafka first, so every one of them is in the topic; the ones cut off got no 202 and promise nothing.
    /// </summary>
    [Fact]
    public async Task A_producer_killed_during_a_burst_leaves_every_message_it_accepted_in_the_topic()
    {
        const int Messages = 400;
        var run = Guid.NewGuid().ToString("N")[..8];
        using var producer = fixture.CreateHttpClient("producer");
        producer.Timeout = TimeSpan.FromSeconds(15);
        var accepted = new ConcurrentDictionary<Guid, Published>();
        var cutOff = 0;
        var answered = 0;
        var killNow = new TaskCompletionSource();
        using var stopSending = new CancellationTokenSource();
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 10, CancellationToken = stopSending.Token }, async (i, token) =>
        {
            // Each request runs to its end (it was sent); only requests not yet started are given up.
            token = CancellationToken.None;
            try
            {
                using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"producer-crash-{run}-{i}" }, token);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var published = (await response.Content.ReadFromJsonAsync<Published>(token))!;
                    accepted[published.Id] = published;
                }
                else
                {
                    Interlocked.Increment(ref cutOff);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The connection died with the process (or the test stopped waiting for a dead one).
                Interlocked.Increment(ref cutOff);
            }

            if (Interlocked.Increment(ref answered) == Messages / 3)
            {
                killNow.TrySetResult();
            }
        });

        await killNow.Task.WaitAsync(Timeout);
        var killed = await ServiceCrash.KillAsync(fixture.App, "producer");
        // No new request starts, since nothing would answer it; those in flight at the kill run to
        // their end (cut off, or answered just before it).
        await stopSending.CancelAsync();
        try
        {
            await sending.WaitAsync(Timeout);
        }
        catch (OperationCanceledException)
        {
        }

        await ServiceCrash.RestartAfterCrashAsync(fixture.App, "producer", Timeout);

        // Each accepted message where the 202 said: topic, partition and offset hold its id.
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"producer-crash-{run}" }).Build();
        var missing = new List<Published>();
        foreach (var message in accepted.Values)
        {
            reader.Assign(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset));
            var stored = reader.Consume(TimeSpan.FromSeconds(10));
            if (stored?.Message.Key != message.Id.ToString())
            {
                missing.Add(message);
            }
        }

        output.WriteLine($"posted: {accepted.Count + cutOff} (of {Messages} planned); accepted (202): {accepted.Count}; cut off by the kill (no 202): {cutOff}; " +
            $"killed pid(s) {string.Join(',', killed)} after {Messages / 3} answers; accepted but not in the topic: {missing.Count}");
        Assert.True(accepted.Count >= Messages / 3 - 10, $"only {accepted.Count} accepted before the kill");
        Assert.True(cutOff > 0, "the kill should have cut some requests off");
        Assert.Empty(missing);
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
