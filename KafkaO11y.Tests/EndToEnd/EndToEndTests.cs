using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Stats = KafkaO11y.Consumer.ProcessingSnapshot;

namespace KafkaO11y.Tests.EndToEnd;

/// <summary>
/// The application started through Aspire.Hosting.Testing, in Embedded mode, used as a user would:
/// over HTTP, with a standard Kafka client, and through the Aspire dashboard's telemetry.
/// </summary>
[Collection(EmbeddedAppCollection.Name)]
public sealed partial class EndToEndTests(EmbeddedAppFixture fixture)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_posted_message_is_processed_and_appears_as_one_trace_across_producer_and_consumer()
    {
        var (published, send) = await fixture.PostAndAwaitProcessingAsync("end-to-end test", Timeout);
        Assert.Equal(Topic, published.Topic);
        Assert.NotEqual(Guid.Empty, published.Id);

        var trace = await Poll.UntilAsync(
            () => fixture.Dashboard.GetTraceAsync(send.TraceId),
            spans => spans.Any(s => s.Service == "consumer" && s.Name == $"process {Topic}"),
            Timeout, "the Consumer's process span in the same trace");

        var request = Assert.Single(trace, s => s.Service == "producer" && s.Kind == DashboardSpan.ServerKind);
        Assert.Equal("POST /messages", request.Name);
        Assert.Equal(request.SpanId, send.ParentSpanId);
        var process = Assert.Single(trace, s => s.Service == "consumer" && s.Name == $"process {Topic}");
        Assert.Equal(DashboardSpan.ConsumerKind, process.Kind);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        Assert.Equal(published.Offset.ToString(), process.Attributes["messaging.kafka.offset"]);
        Assert.Equal("kafka-o11y-consumer", process.Attributes["messaging.consumer.group.name"]);
    }

    [Fact]
    public async Task A_standard_Kafka_client_sees_the_topics_reads_trace_context_and_its_own_trace_is_continued()
    {
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        Assert.Matches(BootstrapAddress(), bootstrap);
        await AssertKafkaLoggedAsync(bootstrap!);

        // The topics step created them before the services started, and finished.
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("kafka-topics", out var topicsStep));
        Assert.Equal(KnownResourceStates.Finished, topicsStep.Snapshot.State?.Text);
        Assert.Equal(0, topicsStep.Snapshot.ExitCode);
        Assert.Equal(
            $"{Topic}: created with 3 partition(s); {MessageTopics.DeadLetterOf(Topic)}: created with 3 partition(s)",
            topicsStep.Snapshot.Properties.Single(p => p.Name == "kafka.topics").Value);

        // The topics, with their partitions, as any client's metadata request sees them.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            Assert.Equal(3, metadata.Topics.Single(t => t.Topic == Topic).Partitions.Count);
            Assert.Contains(metadata.Topics, t => t.Topic == MessageTopics.DeadLetterOf(Topic));
        }

        // The messages the Producer wrote carry W3C trace context.
        using (var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"external-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build())
        {
            reader.Subscribe(Topic);
            var message = reader.Consume(Timeout)!;
            Assert.True(message.Message.Headers.TryGetLastBytes("traceparent", out var traceparent));
            Assert.Matches(Traceparent(), Encoding.UTF8.GetString(traceparent));
            reader.Close();
        }

        // A message produced by someone else, in a trace of theirs, is processed inside that trace.
        var traceId = ActivityTraceIdHex();
        var parentSpanId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);
        var body = new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "external-client", "from a standard client");
        using (var writer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build())
        {
            await writer.ProduceAsync(Topic, new Message<string, byte[]>
            {
                Key = body.Id.ToString(),
                Value = JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody),
                Headers = new Headers { { "traceparent", Encoding.UTF8.GetBytes($"00-{traceId}-{parentSpanId}-01") } },
            });
        }

        var trace = await Poll.UntilAsync(
            () => fixture.Dashboard.GetTraceAsync(traceId),
            spans => spans.Any(s => s.Service == "consumer" && s.Name == $"process {Topic}"),
            Timeout, "the Consumer's process span in the external trace");
        var process = trace.Single(s => s.Service == "consumer" && s.Name == $"process {Topic}");
        Assert.Equal(parentSpanId, process.ParentSpanId);
    }

    /// <summary>
    /// At-least-once means a message can come twice (a producer's retry, a redelivery after a crash):
    /// the Consumer recognises it by its id, counts it, logs it in its trace and skips its work.
    /// </summary>
    [Fact]
    public async Task A_message_that_comes_twice_is_counted_logged_in_its_trace_and_not_processed_again()
    {
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var consumer = fixture.CreateHttpClient("consumer");
        var before = (await consumer.GetFromJsonAsync<Stats>("/stats"))!;
        var body = new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "external-client", "sent twice");
        var traceIds = new List<string>();
        using (var writer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build())
        {
            for (var copy = 0; copy < 2; copy++)
            {
                var traceId = ActivityTraceIdHex();
                traceIds.Add(traceId);
                await writer.ProduceAsync(Topic, new Message<string, byte[]>
                {
                    Key = body.Id.ToString(),
                    Value = JsonSerializer.SerializeToUtf8Bytes(body, MessageJsonContext.Default.MessageBody),
                    Headers = new Headers { { "traceparent", Encoding.UTF8.GetBytes($"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01") } },
                });
            }
        }

        static bool IsDuplicate(DashboardSpan span) =>
            span.Attributes.TryGetValue("kafkao11y.message.duplicate", out var value) && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
        var second = await Poll.UntilAsync(
            () => fixture.Dashboard.GetTraceAsync(traceIds[1]),
            spans => spans.Any(s => s.Service == "consumer" && s.Name == $"process {Topic}"),
            Timeout, "the second copy's process span");
        Assert.True(IsDuplicate(second.Single(s => s.Name == $"process {Topic}")), "the second copy's span is not marked a duplicate");
        var first = await fixture.Dashboard.GetTraceAsync(traceIds[0]);
        Assert.False(IsDuplicate(first.Single(s => s.Service == "consumer" && s.Name == $"process {Topic}")));

        // The warning names the message, in the second copy's trace; the first copy's trace has the "Processed" line only.
        var logs = await Poll.UntilAsync(
            () => fixture.Dashboard.GetLogsAsync("consumer", traceIds[1]),
            records => records.Any(r => r.Body.Contains("Duplicate message", StringComparison.Ordinal)),
            Timeout, "the Consumer's duplicate warning in the second copy's trace");
        var warning = logs.First(r => r.Body.Contains("Duplicate message", StringComparison.Ordinal));
        Assert.Contains(body.Id.ToString(), warning.Body + string.Join(" ", warning.Attributes.Values));
        Assert.DoesNotContain(await fixture.Dashboard.GetLogsAsync("consumer", traceIds[0]), r => r.Body.Contains("Duplicate message", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, r => r.Body.StartsWith("Processed message", StringComparison.Ordinal));

        var after = (await consumer.GetFromJsonAsync<Stats>("/stats"))!;
        Assert.True(after.Duplicates >= before.Duplicates + 1, $"/stats duplicates {before.Duplicates} -> {after.Duplicates}");
    }

    [Fact]
    public async Task Poison_messages_go_to_the_dead_letter_topic_with_the_reason_and_their_trace_and_the_consumer_stays_healthy()
    {
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        var valid = JsonSerializer.SerializeToUtf8Bytes(
            new MessageBody(Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "external-client", "fine"), MessageJsonContext.Default.MessageBody);
        var poisons = new Dictionary<string, byte[]?>
        {
            ["not-json"] = "this is { not json"u8.ToArray(),
            ["missing-fields"] = "{\"payload\":\"no id, sequence, createdAt or producer\"}"u8.ToArray(),
            ["null-value"] = null,
            ["oversized"] = [.. valid, .. new byte[MessageLimits.MaxMessageBytes]],
        };

        // An hour old, with a header of the sending application's own: a dead letter keeps both.
        var createdAt = new Timestamp(DateTimeOffset.UtcNow.AddHours(-1));
        var sent = new Dictionary<string, (TopicPartitionOffset Where, string TraceId, byte[]? Value, string Tenant)>();
        using (var writer = new ProducerBuilder<string, byte[]?>(new ProducerConfig { BootstrapServers = bootstrap }).Build())
        {
            foreach (var (kind, value) in poisons)
            {
                var traceId = ActivityTraceIdHex();
                var key = $"poison-{kind}-{Guid.NewGuid():N}";
                var result = await writer.ProduceAsync(Topic, new Message<string, byte[]?>
                {
                    Key = key,
                    Value = value,
                    Timestamp = createdAt,
                    Headers = new Headers
                    {
                        { "traceparent", Encoding.UTF8.GetBytes($"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01") },
                        { "tenant", Encoding.UTF8.GetBytes($"tenant-{kind}") },
                    },
                });
                sent[key] = (result.TopicPartitionOffset, traceId, value, $"tenant-{kind}");
            }
        }

        using var reader = new ConsumerBuilder<string, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"dead-letter-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        reader.Subscribe(MessageTopics.DeadLetterOf(Topic));
        var deadLetterMessages = new Dictionary<string, Message<string, byte[]?>>();
        using (var deadline = new CancellationTokenSource(Timeout))
        {
            while (deadLetterMessages.Count < sent.Count)
            {
                var message = reader.Consume(deadline.Token);
                if (sent.ContainsKey(message.Message.Key))
                {
                    deadLetterMessages[message.Message.Key] = message.Message;
                }
            }
        }

        var deadLetters = deadLetterMessages.ToDictionary(d => d.Key, d => d.Value.Headers);
        foreach (var (key, (where, traceId, value, tenant)) in sent)
        {
            var headers = deadLetters[key];
            // The message itself, as it was sent: value, creation time and the application's headers.
            Assert.Equal(value, deadLetterMessages[key].Value);
            Assert.Equal(createdAt.UnixTimestampMs, deadLetterMessages[key].Timestamp.UnixTimestampMs);
            Assert.Equal(TimestampType.CreateTime, deadLetterMessages[key].Timestamp.Type);
            Assert.Equal(tenant, Header(headers, "tenant"));
            Assert.Equal(Topic, Header(headers, DeadLetterHeaders.SourceTopic));
            Assert.Equal(where.Partition.Value.ToString(), Header(headers, DeadLetterHeaders.SourcePartition));
            Assert.Equal(where.Offset.Value.ToString(), Header(headers, DeadLetterHeaders.SourceOffset));
            Assert.Equal("KafkaO11y.Consumer.InvalidMessageException", Header(headers, DeadLetterHeaders.ErrorType));
            Assert.False(string.IsNullOrWhiteSpace(Header(headers, DeadLetterHeaders.ErrorMessage)));
            Assert.Contains(traceId, Header(headers, DeadLetterHeaders.SourceTraceparent));
            // The dead letter continues the failed message's trace, as the Consumer's dead-letter
            // send, a child of its process span: not a copy of the failed message's traceparent.
            var deadLetterContext = Header(headers, "traceparent")!.Split('-');
            Assert.Equal(traceId, deadLetterContext[1]);
            var trace = await Poll.UntilAsync(() => fixture.Dashboard.GetTraceAsync(traceId),
                spans => spans.Any(s => s.SpanId == deadLetterContext[2]), Timeout, $"the dead-letter send span of {key}");
            var send = trace.Single(s => s.SpanId == deadLetterContext[2]);
            Assert.Equal(("consumer", $"send {MessageTopics.DeadLetterOf(Topic)}", DashboardSpan.ProducerKind), (send.Service, send.Name, send.Kind));
            var process = trace.Single(s => s.SpanId == send.ParentSpanId);
            Assert.Equal(("consumer", $"process {Topic}", DashboardSpan.ConsumerKind), (process.Service, process.Name, process.Kind));
        }

        Assert.Contains("not valid JSON", Header(deadLetters.Single(d => d.Key.StartsWith("poison-not-json", StringComparison.Ordinal)).Value, DeadLetterHeaders.ErrorMessage));
        Assert.Contains("bytes; at most", Header(deadLetters.Single(d => d.Key.StartsWith("poison-oversized", StringComparison.Ordinal)).Value, DeadLetterHeaders.ErrorMessage));

        using var consumer = fixture.CreateHttpClient("consumer");
        Assert.Equal(HttpStatusCode.OK, (await consumer.GetAsync("/health")).StatusCode);
        await Poll.UntilAsync(UnprocessedAsync, unprocessed => unprocessed < 50,
            Timeout, "the Consumer to have moved past the poison messages");
    }

    private static string? Header(Headers headers, string key) =>
        headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;

    [Fact]
    public async Task An_oversized_payload_gets_a_400_that_says_why()
    {
        using var producer = fixture.CreateHttpClient("producer");
        var payload = new string('x', 64 * 1024 + 1);
        using var response = await producer.PostAsJsonAsync("/messages", new { payload });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("at most 65536", problem.GetProperty("errors").GetProperty("payload")[0].GetString());
    }

    [Fact]
    public async Task A_stopped_consumer_commits_what_it_processed_and_resumes_there_without_gaps()
    {
        using var producer = fixture.CreateHttpClient("producer");
        (await producer.PostAsync("/generator/pause", null)).EnsureSuccessStatusCode();
        Dictionary<int, long> committed;
        try
        {
            // Quiet: nothing produced, everything produced so far processed.
            await Poll.UntilAsync(UnprocessedAsync, unprocessed => unprocessed == 0,
                Timeout, "the Consumer to catch up with the paused producer");

            var processed = await LastProcessedAsync();
            var stop = await fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "resource-stop");
            Assert.True(stop.Success, stop.Message);

            // What the group committed, as Kafka tells any client (a plain OffsetFetch, no group join).
            committed = await ConsumerGroupOffsets.CommittedAsync(fixture.App, Topic, processed.Keys);
            foreach (var (partition, lastOffset) in processed)
            {
                Assert.Equal(lastOffset + 1, committed[partition]);
            }

            // Messages arrive while the consumer is away.
            for (var i = 0; i < 12; i++)
            {
                (await producer.PostAsJsonAsync("/messages", new { payload = $"while the consumer is stopped {i}" })).EnsureSuccessStatusCode();
            }
        }
        finally
        {
            var start = await fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "resource-start");
            Assert.True(start.Success, start.Message);
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("consumer").WaitAsync(Timeout);
            (await producer.PostAsync("/generator/resume", null)).EnsureSuccessStatusCode();
        }

        // The restarted consumer's first message in each partition is the committed offset: no gap, no repeat.
        var resumed = await Poll.UntilAsync(
            async () => (await fixture.CreateHttpClient("consumer").GetFromJsonAsync<Stats>("/stats"))!,
            stats => committed.Keys.All(p => stats.Partitions.Any(q => q.Topic == Topic && q.Partition == p)),
            Timeout, "the restarted Consumer to process every partition");
        foreach (var (partition, offset) in committed)
        {
            Assert.Equal(offset, resumed.Partitions.Single(p => p.Topic == Topic && p.Partition == partition).FirstOffset);
        }

        async Task<Dictionary<int, long>> LastProcessedAsync()
        {
            using var consumer = fixture.CreateHttpClient("consumer");
            var stats = (await consumer.GetFromJsonAsync<Stats>("/stats"))!;
            return stats.Partitions.Where(p => p.Topic == Topic).ToDictionary(p => p.Partition, p => p.LastOffset);
        }
    }

    /// <summary>Messages in the topic that the Consumer has not processed (from the end offsets Kafka reports).</summary>
    private async Task<long> UnprocessedAsync()
    {
        using var consumer = fixture.CreateHttpClient("consumer");
        var stats = (await consumer.GetFromJsonAsync<Stats>("/stats"))!;
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "lag-probe",
        }).Build();
        long lag = 0;
        for (var partition = 0; partition < 3; partition++)
        {
            var end = probe.QueryWatermarkOffsets(new TopicPartition(Topic, partition), TimeSpan.FromSeconds(10)).High.Value;
            var last = stats.Partitions.SingleOrDefault(p => p.Topic == Topic && p.Partition == partition)?.LastOffset ?? -1;
            lag += end - (last + 1);
        }

        return lag;
    }

    private async Task AssertKafkaLoggedAsync(string bootstrap)
    {
        var logs = fixture.App.Services.GetRequiredService<ResourceLoggerService>();
        using var cancellation = new CancellationTokenSource(Timeout);
        await foreach (var batch in logs.WatchAsync("kafka").WithCancellation(cancellation.Token))
        {
            if (batch.Any(line => line.Content.Contains(bootstrap, StringComparison.Ordinal)))
            {
                return;
            }
        }

        Assert.Fail($"The kafka resource's log never named its bootstrap address {bootstrap}.");
    }

    private static string ActivityTraceIdHex() => Guid.NewGuid().ToString("N");

    [GeneratedRegex(@"^(127\.0\.0\.1|localhost):\d+(,(127\.0\.0\.1|localhost):\d+)*$")]
    private static partial Regex BootstrapAddress();

    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")]
    private static partial Regex Traceparent();
}
