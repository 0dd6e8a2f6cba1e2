using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using KafkaO11y.Tests.Observability;
using Microsoft.Playwright;

namespace KafkaO11y.Tests;

/// <summary>What a user sees: the Aspire dashboard in a real (headless) browser.</summary>
[Collection(EmbeddedAppCollection.Name)]
public sealed class DashboardBrowserTests(EmbeddedAppFixture fixture)
{
    private static readonly string[] ChromiumArguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private sealed record Published(Guid Id, string Topic, int Partition, long Offset);

    [SkippableFact]
    public async Task The_traces_page_shows_a_trace_spanning_the_Producer_and_the_Consumer()
    {
        var chromium = ExternalTool.Chromium.RequirePath();

        // A message whose trace we know.
        using var producer = fixture.CreateHttpClient("producer");
        using var response = await producer.PostAsJsonAsync("/messages", new { payload = "seen in a browser" });
        var published = (await response.Content.ReadFromJsonAsync<Published>())!;
        var send = (await DashboardTelemetry.PollAsync(
            () => fixture.Dashboard.GetSpansAsync("producer"),
            spans => spans.Any(s => s.Name == "send messages" && s.Attributes.GetValueOrDefault("messaging.kafka.offset") == published.Offset.ToString()
                && s.Attributes.GetValueOrDefault("messaging.destination.partition.id") == published.Partition.ToString()),
            TimeSpan.FromSeconds(60), "the message's send span")).First(s => s.Name == "send messages"
                && s.Attributes.GetValueOrDefault("messaging.kafka.offset") == published.Offset.ToString()
                && s.Attributes.GetValueOrDefault("messaging.destination.partition.id") == published.Partition.ToString());
        await DashboardTelemetry.PollAsync(() => fixture.Dashboard.GetTraceAsync(send.TraceId),
            spans => spans.Any(s => s.Service == "consumer"), TimeSpan.FromSeconds(60), "the consumer's span in the trace");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArguments,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        var dashboard = fixture.App.GetEndpoint("aspire-dashboard", "http");

        // The traces list: a row naming both services.
        await page.GotoAsync(new Uri(dashboard, "/traces").ToString());
        var row = page.Locator("[role=row]").Filter(new LocatorFilterOptions { HasText = "producer" }).Filter(new LocatorFilterOptions { HasText = "consumer" });
        await row.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        // The trace of our message: the HTTP request, the send and the processing, across both services.
        await page.GotoAsync(new Uri(dashboard, $"/traces/detail/{send.TraceId}").ToString());
        // The span rows render after the page: wait for the Consumer's before reading.
        await page.Locator("[role=row]").Filter(new LocatorFilterOptions { HasText = "consumer" }).First
            .WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var text = await page.Locator("body").InnerTextAsync();
        Assert.Contains("POST /messages", text);
        Assert.Contains("producer", text);
        Assert.Contains("consumer", text);
    }
}
