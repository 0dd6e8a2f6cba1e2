using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>The application with two Consumer replicas in one group, as <c>--KafkaO11y:Consumer:Replicas=2</c> runs it.</summary>
public sealed class TwoConsumersFixture : EmbeddedAppFixture
{
    protected override string[] ExtraArguments => ["--KafkaO11y:Consumer:Replicas=2"];
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TwoConsumersCollection : ICollectionFixture<TwoConsumersFixture>
{
    public const string Name = "Two consumer replicas";
}

/// <summary>
/// One of two Consumer replicas killed with SIGKILL while messages flow: the group gives its
/// partitions to the other, which the telemetry shows (a rebalance span with its event, a log
/// line), and every accepted message is processed and committed.
/// </summary>
[Collection(TwoConsumersCollection.Name)]
public sealed class ConsumerReplicasTests(TwoConsumersFixture fixture, ITestOutputHelper output)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task When_one_of_two_consumers_is_killed_the_other_takes_its_partitions_and_nothing_is_lost()
    {
        var replicas = await ServiceCrash.RunningInstancesAsync(fixture.App, "consumer", atLeast: 2);
        Assert.Equal(2, replicas.Count);

        // Both members own partitions before the kill: each one's latest assignment is part of the topic.
        var startup = await Poll.UntilAsync(() => fixture.Dashboard.GetSpansAsync(replicas.Select(r => r.ResourceId), limit: 10_000),
            spans => Assignments(spans).Select(a => a.Instance).Distinct().Count() == 2 || spans.Count(s => s.Name == "rebalance") > 5,
            Timeout, "both replicas to report a partition assignment");
        Assert.True(Assignments(startup).Select(a => a.Instance).Distinct().Count() == 2, "assignments: " + string.Join("; ",
            startup.Where(s => s.Name == "rebalance").Select(s => $"{s.Instance} {s.Start:HH:mm:ss.fff} {string.Join(",", s.Events.Select(e => e.Name + "=" + string.Join("", e.Attributes.Values)))}")));

        const int Messages = 300;
        using var producer = fixture.App.CreateHttpClient("producer", "http");
        var accepted = new ConcurrentBag<Published>();
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, token) =>
        {
            using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"replicas-{i}" }, token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((await response.Content.ReadFromJsonAsync<Published>(token))!);
        });

        await Poll.UntilAsync(() => Task.FromResult(accepted.Count), count => count >= Messages / 3, Timeout, "a third of the messages to be sent");
        var killedAt = DateTimeOffset.UtcNow;
        var victim = replicas[0];
        var killed = await ServiceCrash.KillAsync(fixture.App, "consumer", victim.ResourceId);
        await sending.WaitAsync(Timeout);

        // The survivor is given every partition: a rebalance span after the kill whose event names all three.
        var spans = await Poll.UntilAsync(() => fixture.Dashboard.GetSpansAsync(replicas.Select(r => r.ResourceId), limit: 10_000),
            spans => Assignments(spans).Any(a => a.Start > killedAt && a.Partitions == "messages[0,1,2]"),
            Timeout, "the surviving consumer's rebalance span assigning it all three partitions");
        var takeover = Assignments(spans).First(a => a.Start > killedAt && a.Partitions == "messages[0,1,2]");

        // Nothing lost: the group's commits pass every accepted message (the Consumer commits only what it processed).
        var committed = await Poll.UntilAsync(() => ConsumerGroupOffsets.CommittedAsync(fixture.App, Topic, Enumerable.Range(0, 3)),
            commits => accepted.All(m => commits.GetValueOrDefault(m.Partition, -1) > m.Offset), Timeout,
            "the group's committed offsets to pass every accepted message");
        output.WriteLine($"accepted: {accepted.Count}; killed {victim.ResourceId} (pid {string.Join(',', killed)}) after {Messages / 3} sends; " +
            $"the survivor was assigned {takeover.Partitions} {(takeover.Start - killedAt).TotalSeconds:F1} s after the kill; " +
            $"committed: {string.Join(' ', committed.OrderBy(c => c.Key).Select(c => $"{c.Key}:{c.Value}"))}; lost: 0");
        Assert.Equal(Messages, accepted.Count);
    }

    /// <summary>Each partition assignment a consumer instance reported, as its rebalance span's event.</summary>
    private static IEnumerable<(string Instance, DateTimeOffset Start, string Partitions)> Assignments(IEnumerable<DashboardSpan> spans) =>
        spans.Where(s => s.Name == "rebalance")
            .SelectMany(s => s.Events.Where(e => e.Name == "partitions_assigned")
                .Select(e => (s.Instance, s.Start, e.Attributes.GetValueOrDefault("messaging.kafka.partitions", ""))));
}
