using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using KafkaO11y.Contracts;
using Microsoft.Playwright;
using Stats = KafkaO11y.Consumer.ProcessingSnapshot;

namespace KafkaO11y.Tests.EndToEnd;

/// <summary>The application with the Consumer in batch mode, as <c>--KafkaO11y:Consumer:BatchSize=10</c> runs it.</summary>
public sealed class BatchModeFixture : EmbeddedAppFixture
{
    protected override string[] ExtraArguments => ["--KafkaO11y:Consumer:BatchSize=10"];
}

/// <summary>
/// The batch-mode application's tests, one at a time and alone: its fault tests (a Consumer killed,
/// the dead-letter topic failing) share it with the others, and must not reach a test of another class.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BatchModeCollection : ICollectionFixture<BatchModeFixture>
{
    public const string Name = "Consumer in batch mode";
}

/// <summary>
/// The Consumer in batch mode, through the services as Aspire runs them: the messages of a burst
/// share batch spans that link to each message's send span, and a poison message among them is
/// still dead-lettered on its own, by a send inside its batch's span.
/// </summary>
[Collection(BatchModeCollection.Name)]
public sealed class BatchModeTests(BatchModeFixture fixture)
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_burst_is_processed_in_batch_spans_linked_to_each_message_and_a_poison_message_is_dead_lettered_on_its_own()
    {
        var (postedSends, processSpans, poison) = await PostABurstAsync(withPoison: true);
        Assert.All(processSpans, batch => Assert.Equal(batch.Links.Count.ToString(), batch.Attributes.GetValueOrDefault("messaging.batch.message_count")));
        Assert.All(processSpans, batch => Assert.DoesNotContain("messaging.kafka.offset", batch.Attributes.Keys));
        Assert.All(postedSends, send => Assert.Single(processSpans, s => s.Links.Contains((send.TraceId, send.SpanId))));
        Assert.Contains(processSpans, batch => batch.Links.Count > 1);

        // The poison message: its batch span (the one linking to its send span) holds its dead-letter send and the failure.
        var poisonSend = (await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("producer", limit: 10_000),
            spans => spans.Any(s => poison!.IsSentBy(s)),
            Timeout, "the poison message's send span")).Single(s => poison!.IsSentBy(s));
        var deadLetterSend = $"send {MessageTopics.DeadLetterOf(Topic)}";
        var consumerSpans = await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("consumer", limit: 10_000),
            spans => spans.Any(batch => batch.Links.Contains((poisonSend.TraceId, poisonSend.SpanId))
                && spans.Any(s => s.Name == deadLetterSend && s.ParentSpanId == batch.SpanId)),
            Timeout, "the poison message's dead-letter send inside the batch span that links to it");
        var batchOfPoison = Assert.Single(consumerSpans, s => s.Links.Contains((poisonSend.TraceId, poisonSend.SpanId)));
        Assert.Equal($"process {Topic}", batchOfPoison.Name);
        Assert.Single(consumerSpans, s => s.Name == deadLetterSend && s.ParentSpanId == batchOfPoison.SpanId);
        Assert.Contains(batchOfPoison.Events, e => e.Name == "exception" && e.Attributes.GetValueOrDefault("exception.type") == "KafkaO11y.Consumer.InvalidMessageException");
    }

    /// <summary>
    /// The picture of a batch span as the dashboard draws it, selected, with its attributes and
    /// its links (docs/images/batch-trace.png when KAFKAO11Y_UPDATE_SCREENSHOTS=true).
    /// </summary>
    [SkippableFact]
    public async Task The_dashboard_draws_a_batch_span_with_its_message_count_and_links()
    {
        ExternalTool.Chromium.RequirePath();
        var (_, processSpans, _) = await PostABurstAsync(withPoison: false);
        var batch = processSpans.MaxBy(s => s.Links.Count)!;
        Assert.True(batch.Links.Count > 1, "no batch of more than one message");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1500 } });
        await page.GotoAsync(new Uri(fixture.App.GetEndpoint("aspire-dashboard", "http"), $"/traces/detail/{batch.TraceId}").ToString());
        // The dashboard names a messaging span by system and destination ("MSG kafka messages").
        var row = page.Locator("[role=row]").Filter(new LocatorFilterOptions { HasText = "consumer" }).First;
        await row.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await row.ClickAsync();
        await page.GetByText("messaging.batch.message_count").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        // The details pane lists the span's links under its attributes: scroll them into the picture.
        var links = page.GetByText("Links", new PageGetByTextOptions { Exact = true }).First;
        await links.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await links.ScrollIntoViewIfNeededAsync();
        await page.WaitForTimeoutAsync(1_500); // let the details finish drawing
        var target = Path.Combine(DashboardBrowser.ScreenshotFolder(), "batch-trace.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = target });
        Assert.True(new FileInfo(target).Length > 20_000, "batch-trace.png looks empty.");
    }

    /// <summary>
    /// Posts 30 messages at once (and a poison message, if asked) and waits until each is processed
    /// and linked by a batch span; returns the posted messages' send spans, the Consumer's process
    /// spans, and where the poison message went.
    /// </summary>
    private async Task<(List<DashboardSpan> PostedSends, List<DashboardSpan> ProcessSpans, Published? Poison)> PostABurstAsync(bool withPoison)
    {
        using var producer = fixture.CreateHttpClient("producer");
        using var consumer = fixture.CreateHttpClient("consumer");

        var posts = Enumerable.Range(0, 30).Select(async i =>
        {
            using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"batch {i}" });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<Published>())!;
        }).ToList();
        Published? poison = null;
        if (withPoison)
        {
            using var poisonResponse = await producer.PostAsJsonAsync("/poison", new { count = 1 });
            Assert.True(poisonResponse.IsSuccessStatusCode, $"POST /poison answered {poisonResponse.StatusCode}");
            poison = Assert.Single((await poisonResponse.Content.ReadFromJsonAsync<List<Published>>())!);
        }

        var published = await Task.WhenAll(posts);
        await Poll.UntilAsync(
            () => consumer.GetFromJsonAsync<Stats>("/stats")!,
            stats => published.All(m => stats!.Partitions.Any(p => p.Topic == Topic && p.Partition == m.Partition && p.LastOffset >= m.Offset)),
            Timeout, "the Consumer's /stats to show every posted message processed");

        var producerSpans = await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("producer", limit: 10_000),
            spans => published.All(m => spans.Any(s => m.IsSentBy(s))),
            Timeout, "each posted message's send span");
        var postedSends = published.Select(m => producerSpans.Single(s => m.IsSentBy(s))).ToList();

        var consumerSpans = await Poll.UntilAsync(
            () => fixture.Dashboard.GetSpansAsync("consumer", limit: 10_000),
            spans => postedSends.All(send => spans.Any(s => s.Links.Contains((send.TraceId, send.SpanId)))),
            Timeout, "a batch span in the Consumer linking to each posted message's send span");
        return (postedSends, [.. consumerSpans.Where(s => s.Kind == DashboardSpan.ConsumerKind && s.Name == $"process {Topic}")], poison);
    }
}
