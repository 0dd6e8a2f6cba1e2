using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using KafkaO11y.Tests.Observability;
using Microsoft.Playwright;

namespace KafkaO11y.Tests.EndToEnd;

/// <summary>What a user sees: the Aspire dashboard in a real (headless) browser.</summary>
[Collection(EmbeddedAppCollection.Name)]
public sealed class DashboardBrowserTests(EmbeddedAppFixture fixture)
{
    /// <summary>
    /// The tutorial's pictures, taken from the running app: the resource list, one message's trace,
    /// that trace's structured logs and a metric chart. Written to docs/images when the environment
    /// variable KAFKAO11Y_UPDATE_SCREENSHOTS=true (see docs/tutorial/README.md), else to a temporary folder.
    /// </summary>
    [SkippableFact]
    public async Task The_tutorials_screenshots_show_what_they_promise()
    {
        ExternalTool.Chromium.RequirePath();
        var traceId = await TraceOfANewMessageAsync("pictured for the tutorial");
        var folder = DashboardBrowser.ScreenshotFolder();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        var dashboard = fixture.App.GetEndpoint("aspire-dashboard", "http");

        (string File, string Path, string MustShow)[] shots =
        [
            ("resources.png", "/", "librdkafka mock cluster"),
            ("trace.png", $"/traces/detail/{traceId}", "consumer"),
            ("trace-logs.png", $"/structuredlogs?traceId={traceId}", "Processed message"),
            ("metrics.png", "/metrics/resource/consumer?meter=KafkaO11y.Kafka&instrument=messaging.process.duration&duration=5", "messaging.process.duration"),
        ];
        foreach (var (file, path, mustShow) in shots)
        {
            await page.GotoAsync(new Uri(dashboard, path).ToString());
            await page.GetByText(mustShow).First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await page.WaitForTimeoutAsync(1_500); // let charts and lists finish drawing
            var target = Path.Combine(folder, file);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = target });
            Assert.True(new FileInfo(target).Length > 20_000, $"{file} looks empty.");
        }
    }

    [SkippableFact]
    public async Task The_traces_page_shows_a_trace_spanning_the_Producer_and_the_Consumer()
    {
        ExternalTool.Chromium.RequirePath();

        var traceId = await TraceOfANewMessageAsync("seen in a browser");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        var dashboard = fixture.App.GetEndpoint("aspire-dashboard", "http");

        // The traces list: a row naming both services.
        await page.GotoAsync(new Uri(dashboard, "/traces").ToString());
        var row = page.Locator("[role=row]").Filter(new LocatorFilterOptions { HasText = "producer" }).Filter(new LocatorFilterOptions { HasText = "consumer" });
        await row.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        // The trace of our message: the HTTP request, the send and the processing, across both services.
        await page.GotoAsync(new Uri(dashboard, $"/traces/detail/{traceId}").ToString());
        // The span rows render after the page: wait for the Consumer's before reading.
        await page.Locator("[role=row]").Filter(new LocatorFilterOptions { HasText = "consumer" }).First
            .WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var text = await page.Locator("body").InnerTextAsync();
        Assert.Contains("POST /messages", text);
        Assert.Contains("producer", text);
        Assert.Contains("consumer", text);
    }

    /// <summary>Posts a message and returns its trace id once the dashboard holds both its send and its processing.</summary>
    private async Task<string> TraceOfANewMessageAsync(string payload)
    {
        using var producer = fixture.CreateHttpClient("producer");
        using var response = await producer.PostAsJsonAsync("/messages", new { payload });
        var published = (await response.Content.ReadFromJsonAsync<Published>())!;
        var spans = await Poll.UntilAsync(() => fixture.Dashboard.GetSpansAsync("producer"),
            spans => spans.Any(published.IsSentBy), TimeSpan.FromSeconds(60), "the message's send span");
        var traceId = spans.First(published.IsSentBy).TraceId;
        await Poll.UntilAsync(() => fixture.Dashboard.GetTraceAsync(traceId),
            trace => trace.Any(s => s.Service == "consumer"), TimeSpan.FromSeconds(60), "the consumer's span in the trace");
        return traceId;
    }
}
