using Microsoft.Playwright;

namespace KafkaO11y.Tests.Support;

/// <summary>The Aspire dashboard in Debian's Chromium, headless, as the browser tests and the screenshots see it.</summary>
internal static class DashboardBrowser
{
    private static readonly string[] ChromiumArguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    /// <summary>Starts Chromium (skipped where it is missing, a failure in CI).</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExternalTool.Chromium.RequirePath(), Headless = true, Args = ChromiumArguments,
        });

    /// <summary>Where screenshots go: docs/images when KAFKAO11Y_UPDATE_SCREENSHOTS=true (docs/tutorial/README.md), else a temporary folder.</summary>
    public static string ScreenshotFolder()
    {
        var folder = Environment.GetEnvironmentVariable("KAFKAO11Y_UPDATE_SCREENSHOTS") == "true"
            ? Path.Combine(Repository.Root, "docs", "images")
            : Directory.CreateTempSubdirectory("kafka-o11y-screenshots-").FullName;
        Directory.CreateDirectory(folder);
        return folder;
    }
}
