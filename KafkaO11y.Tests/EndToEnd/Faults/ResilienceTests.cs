using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Microsoft.AspNetCore.Mvc;
using Xunit.Abstractions;
using Stats = KafkaO11y.Consumer.ProcessingSnapshot;

namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>
/// Faults injected through the dashboard commands, against the real services on the embedded
/// broker: what a user relies on is that no accepted message is lost and no service goes down.
/// </summary>
[Collection(FaultsAppCollection.Name)]
public sealed class ResilienceTests(FaultsAppFixture fixture, ITestOutputHelper output)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Every_message_accepted_while_the_broker_goes_down_is_in_the_topic_exactly_once_and_processed()
    {
        const int Messages = 300;
        var run = Guid.NewGuid().ToString("N")[..8];
        using var producer = fixture.CreateHttpClient("producer");
        var accepted = new ConcurrentDictionary<Guid, Published>();
        var refused = 0;
        var completed = 0;
        var brokerWentDown = new TaskCompletionSource();
        using var concurrency = new SemaphoreSlim(10);

        var sends = Enumerable.Range(0, Messages).Select(async i =>
        {
            await concurrency.WaitAsync();
            try
            {
                using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"resilience-{run}-{i}" });
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var published = (await response.Content.ReadFromJsonAsync<Published>())!;
                    accepted[published.Id] = published;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Interlocked.Increment(ref refused);
                }
            }
            finally
            {
                concurrency.Release();
                if (Interlocked.Increment(ref completed) == Messages / 3)
                {
                    brokerWentDown.TrySetResult();
                }
            }
        }).ToList();

        // A third of the way through, the broker goes away for several seconds.
        await brokerWentDown.Task.WaitAsync(Timeout);
        await ExecuteAsync("kafka", "broker-down");
        await Task.Delay(TimeSpan.FromSeconds(5));
        await ExecuteAsync("kafka", "broker-up");
        await Task.WhenAll(sends).WaitAsync(Timeout);

        // What Kafka holds: each accepted message exactly once. That credits the Producer's retries
        // (a request the outage cut off is sent again, not given up), not idempotence: the embedded
        // broker does not deduplicate an idempotent producer's retries (docs/reliability.md, limits).
        var inTopic = await ReadOwnMessagesAsync(run, expected: accepted.Count);
        var duplicates = inTopic.Values.Count(count => count > 1);

        // What the Consumer got past: each accepted message's offset, not only the highest (one
        // consumer, no other member: every offset between its first and last of a partition).
        using var consumer = fixture.CreateHttpClient("consumer");
        var stats = await Poll.UntilAsync(
            async () => (await consumer.GetFromJsonAsync<Stats>("/stats"))!,
            stats => accepted.Values.All(m => stats.GotPast(Topic, m.Partition, m.Offset)),
            Timeout, "the Consumer to process every accepted message");
        var processed = accepted.Values.Count(m => stats.GotPast(Topic, m.Partition, m.Offset));

        output.WriteLine($"messages sent: {Messages}, accepted (202): {accepted.Count}, refused (503): {refused}, " +
            $"accepted and in topic exactly once: {accepted.Keys.Count(id => inTopic.GetValueOrDefault(id) == 1)}, processed: {processed}, duplicates in topic: {duplicates}");
        Assert.Equal(Messages, accepted.Count + refused);
        Assert.All(accepted.Keys, id => Assert.Equal(1, inTopic.GetValueOrDefault(id)));
        Assert.Equal(0, duplicates);
        Assert.True(accepted.Count > Messages / 3, "The broker outage should have left most messages accepted after the retries.");
    }

    /// <summary>
    /// A message Kafka cannot take, because its broker is down or because a few hundred produce
    /// requests in a row are answered with a retriable error (more than the retries within the
    /// delivery timeout use up): the request waits out the Producer's delivery timeout (10 s,
    /// `Kafka:Producer:Config:MessageTimeoutMs`) and is answered 503 with librdkafka's reason, not
    /// held forever nor answered 202; once the fault is undone, the next request is accepted.
    /// </summary>
    [Theory]
    [InlineData("broker-down", "broker-up")]
    [InlineData("fail-requests", "clear-request-errors")]
    public async Task A_message_kafka_does_not_acknowledge_within_the_delivery_timeout_is_refused_with_a_503_after_it(string fault, string undo)
    {
        using var producer = fixture.CreateHttpClient("producer");
        producer.Timeout = TimeSpan.FromSeconds(60);
        HttpStatusCode status;
        ProblemDetails? problem;
        TimeSpan waited;
        // Every topic's next 300 produce requests fail; broker-down takes no argument.
        await ExecuteAsync("kafka", fault, fault == "fail-requests" ? [("count", "300")] : []);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"kafka refuses: {fault}" });
            waited = clock.Elapsed;
            status = response.StatusCode;
            problem = await response.Content.ReadFromJsonAsync<ProblemDetails>();
        }
        finally
        {
            await ExecuteAsync("kafka", undo);
        }

        output.WriteLine($"{fault}: {(int)status} after {waited.TotalSeconds:F1} s: {problem?.Title}: {problem?.Detail}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Kafka did not acknowledge the message", problem?.Title);
        Assert.Contains("Local_MsgTimedOut", problem?.Detail);
        Assert.True(waited >= TimeSpan.FromSeconds(9.5) && waited < TimeSpan.FromSeconds(40),
            $"refused after {waited.TotalSeconds:F1} s; the delivery timeout is 10 s");

        await Poll.UntilAsync(async () =>
        {
            using var again = await producer.PostAsJsonAsync("/messages", new { payload = "kafka is back" });
            return again.StatusCode;
        }, code => code == HttpStatusCode.Accepted, Timeout, $"a message to be accepted once {undo} ran");
    }

    [Fact]
    public async Task Every_dashboard_command_runs_and_its_effect_shows()
    {
        using var producer = fixture.CreateHttpClient("producer");
        using var consumer = fixture.CreateHttpClient("consumer");

        await ExecuteAsync("consumer", "slow-down");
        Assert.Equal(500, (await consumer.GetFromJsonAsync<JsonElement>("/processing")).GetProperty("delayMilliseconds").GetInt32());
        await ExecuteAsync("consumer", "restore-speed");
        Assert.Equal(20, (await consumer.GetFromJsonAsync<JsonElement>("/processing")).GetProperty("delayMilliseconds").GetInt32());

        await ExecuteAsync("consumer", "fail-fraction");
        Assert.Equal(0.2, (await consumer.GetFromJsonAsync<JsonElement>("/processing")).GetProperty("failureRate").GetDouble());
        await ExecuteAsync("consumer", "stop-failures");
        Assert.Equal(0, (await consumer.GetFromJsonAsync<JsonElement>("/processing")).GetProperty("failureRate").GetDouble());

        await ExecuteAsync("producer", "start-load");
        var burst = (await producer.GetFromJsonAsync<JsonElement>("/generator")).GetProperty("burst");
        Assert.Equal(1000, burst.GetProperty("messagesPerSecond").GetDouble());
        await ExecuteAsync("producer", "stop-load");
        Assert.Equal(JsonValueKind.Null, (await producer.GetFromJsonAsync<JsonElement>("/generator")).GetProperty("burst").ValueKind);

        await ExecuteAsync("producer", "pause-generator");
        Assert.True((await producer.GetFromJsonAsync<JsonElement>("/generator")).GetProperty("paused").GetBoolean());
        await ExecuteAsync("producer", "resume-generator");
        Assert.False((await producer.GetFromJsonAsync<JsonElement>("/generator")).GetProperty("paused").GetBoolean());

        var failedBefore = (await consumer.GetFromJsonAsync<Stats>("/stats"))!.Failed;
        await ExecuteAsync("producer", "send-poison");
        await Poll.UntilAsync(
            async () => (await consumer.GetFromJsonAsync<Stats>("/stats"))!.Failed,
            failed => failed >= failedBefore + 8, Timeout, "the eight poison messages to be dead-lettered");

        // The telemetry tells what broke: failed process spans, each followed by its dead-letter send.
        var errors = await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("consumer", errorsOnly: true),
            spans => spans.Count(s => s.Name == $"process {Topic}" && s.Attributes.GetValueOrDefault("messaging.kafka.message.key", "").StartsWith("poison-", StringComparison.Ordinal)) >= 8,
            Timeout, "error spans for the poison messages in the dashboard");
        Assert.All(
            errors.Where(s => s.Name == $"process {Topic}" && s.Attributes.GetValueOrDefault("messaging.kafka.message.key", "").StartsWith("poison-", StringComparison.Ordinal)),
            span => Assert.Equal("KafkaO11y.Consumer.InvalidMessageException", span.Attributes["error.type"]));
        var deadLetterSends = await fixture.Dashboard.GetSpansAsync("consumer");
        Assert.Contains(deadLetterSends, s => s.Name == $"send {MessageTopics.DeadLetterOf(Topic)}" && errors.Any(e => e.SpanId == s.ParentSpanId));

        // Kafka-side faults the clients ride out: messages sent meanwhile are still accepted, and
        // with the brokers 500 ms late, each send span lasts as long as Kafka takes to acknowledge.
        await ExecuteAsync("kafka", "add-latency");
        var latencyAdded = DateTimeOffset.UtcNow;
        await AssertAcceptedAsync(producer);
        var latencyRemoved = DateTimeOffset.UtcNow;
        await ExecuteAsync("kafka", "remove-latency");
        var lateSends = await Poll.UntilAsync(
            async () => (await fixture.Dashboard.GetSpansAsync("producer")).Where(s => s.Name == $"send {Topic}" && s.Start > latencyAdded && s.End < latencyRemoved).ToList(),
            spans => spans.Count > 0, Timeout, "send spans from while the brokers were late");
        Assert.All(lateSends, s => Assert.True(s.Duration >= TimeSpan.FromMilliseconds(450), $"a send while the brokers answered 500 ms late took {s.Duration.TotalMilliseconds:F0} ms"));
        await ExecuteAsync("kafka", "fail-requests");
        await AssertAcceptedAsync(producer);
        await ExecuteAsync("kafka", "clear-request-errors");
        await AssertAcceptedAsync(producer);
    }

    private static async Task AssertAcceptedAsync(HttpClient producer)
    {
        using var response = await producer.PostAsJsonAsync("/messages", new { payload = "during a fault" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>Runs a dashboard command with the given arguments; those not given keep their defaults.</summary>
    private async Task ExecuteAsync(string resource, string command, params (string Name, string Value)[] arguments)
    {
        var result = arguments.Length == 0
            ? await fixture.App.ResourceCommands.ExecuteCommandAsync(resource, command)
            : await fixture.App.ResourceCommands.ExecuteCommandAsync(resource, command, new InteractionInputCollection(
                [.. arguments.Select(a => new InteractionInput { Name = a.Name, Label = a.Name, InputType = InputType.Text, Value = a.Value })]));
        Assert.True(result.Success, $"{resource} {command}: {result.Message}");
    }

    private async Task<Dictionary<Guid, int>> ReadOwnMessagesAsync(string run, int expected)
    {
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"resilience-reader-{run}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        reader.Subscribe(Topic);

        var counts = new Dictionary<Guid, int>();
        var endOfPartitions = new HashSet<int>();
        using var deadline = new CancellationTokenSource(Timeout);
        // Read to the end of every partition once we hold all we expect (so duplicates after it count too).
        while (counts.Values.Sum() < expected || endOfPartitions.Count < 3)
        {
            var consumed = reader.Consume(deadline.Token);
            if (consumed.IsPartitionEOF)
            {
                endOfPartitions.Add(consumed.Partition.Value);
                continue;
            }

            endOfPartitions.Remove(consumed.Partition.Value);
            if (consumed.Message.Value is { } value && TryRead(value) is { } body && body.Payload.StartsWith($"resilience-{run}-", StringComparison.Ordinal))
            {
                counts[body.Id] = counts.GetValueOrDefault(body.Id) + 1;
            }
        }

        return counts;
    }

    private static MessageBody? TryRead(byte[] value)
    {
        try
        {
            return JsonSerializer.Deserialize(value, MessageJsonContext.Default.MessageBody);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
