using KafkaO11y.Contracts;

namespace KafkaO11y.Tests.EndToEnd;

/// <summary>
/// The application with the Consumer starting a trace of its own for each message, linked to the
/// producer's (the conventions' default shape), as <c>--KafkaO11y:Consumer:TraceShape=LinkToProducerTrace</c> runs it.
/// </summary>
public sealed class LinkedTraceFixture : EmbeddedAppFixture
{
    protected override string[] ExtraArguments => ["--KafkaO11y:Consumer:TraceShape=LinkToProducerTrace"];
}

[CollectionDefinition(Name)]
public sealed class LinkedTraceCollection : ICollectionFixture<LinkedTraceFixture>
{
    public const string Name = "Consumer traces linked to the producer's";
}

/// <summary>
/// The other trace shape through the services as Aspire runs them: the process span is the root of
/// a trace of its own with a link to the message's send span, and what the handler logs is in that
/// trace, not the producer's.
/// </summary>
[Collection(LinkedTraceCollection.Name)]
public sealed class LinkedTraceTests(LinkedTraceFixture fixture)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_message_is_processed_in_a_trace_of_its_own_linked_to_its_send_span_with_the_handlers_logs_in_it()
    {
        var (published, send) = await fixture.PostAndAwaitProcessingAsync("linked trace", Timeout);
        var consumerSpans = await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("consumer", limit: 10_000),
            spans => spans.Any(s => s.Links.Contains((send.TraceId, send.SpanId))),
            Timeout, "a process span in the Consumer linking to the send span");

        var process = Assert.Single(consumerSpans, s => s.Links.Contains((send.TraceId, send.SpanId)));
        Assert.Equal($"process {Topic}", process.Name);
        Assert.Equal(DashboardSpan.ConsumerKind, process.Kind);
        Assert.NotEqual(send.TraceId, process.TraceId);
        Assert.True(string.IsNullOrEmpty(process.ParentSpanId), $"the process span has a parent, {process.ParentSpanId}: it should begin a trace");
        Assert.Single(process.Links);
        Assert.Equal(published.Offset.ToString(), process.Attributes["messaging.kafka.offset"]);

        // The handler's log line sits in the process span's trace; the producer's trace ends at Kafka.
        var logs = await Poll.UntilAsync(
            () => fixture.Dashboard.GetLogsAsync("consumer", process.TraceId),
            records => records.Any(r => r.Body.StartsWith("Processed message", StringComparison.Ordinal)),
            Timeout, "the Consumer's \"Processed message\" line in the process span's trace");
        Assert.Contains(logs, r => r.Body.Contains(published.Id.ToString(), StringComparison.Ordinal) || r.Attributes.Values.Contains(published.Id.ToString()));
        Assert.DoesNotContain(await fixture.Dashboard.GetTraceAsync(send.TraceId), s => s.Service == "consumer");
        Assert.Empty(await fixture.Dashboard.GetLogsAsync("consumer", send.TraceId));
    }
}
