using System.Text.RegularExpressions;
using KafkaO11y.AppHost;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// A program the tests run (promtool, amtool, go, chromium), found as the AppHost finds its
/// programs (<see cref="LocalPrograms"/>: the PATH, then the repository's <c>.tools/bin</c>).
/// Where it is missing, a test is reported as skipped with the reason, never as passed; in CI
/// (CI=true) a missing tool fails the test.
/// </summary>
/// <param name="Name">The program's file name.</param>
/// <param name="InstallHint">How to get it.</param>
/// <param name="VersionPattern">What its <c>--version</c> must print, when only some versions will do.</param>
public sealed record ExternalTool(string Name, string InstallHint, string? VersionPattern = null)
{
    public static readonly ExternalTool Promtool = new("promtool", "bash .ci/fetch-prometheus (Prometheus 3's promtool, from Debian's suite sid)", @"^promtool, version 3\.");

    public static readonly ExternalTool Amtool = new("amtool", "bash .ci/fetch-prometheus (Alertmanager's amtool, from Debian's suite sid)");

    public static readonly ExternalTool Go = new("go", "bash .ci/fetch-prometheus --test-tools (Go and Prometheus's OTLP name translator, from Debian's suite sid)");

    public static readonly ExternalTool Chromium = new("chromium", "apt-get install chromium (Debian's package)");

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public string RequirePath()
    {
        var found = LocalPrograms.Find(Repository.Root, configured: null,
            said => VersionPattern is null || Regex.IsMatch(said, VersionPattern) ? null : said, Name);
        if (found.Path is null)
        {
            var why = found.Rejected.Count == 0 ? "is not installed" : $"is not the version needed ({string.Join("; ", found.Rejected)})";
            Require(false, $"{Name} {why}: {InstallHint}.");
        }

        return found.Path ?? "";
    }

    /// <summary>Skips the test where <paramref name="condition"/> does not hold; fails it in CI, which must have everything.</summary>
    public static void Require(bool condition, string message)
    {
        if (condition)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"{message} CI must provide it (.ci/run).");
        }

        Skip.If(true, message);
    }

    /// <summary>Runs the tool and returns its exit code and everything it printed.</summary>
    public (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var (exitCode, output, errors) = ChildProcess.RunAsync(RequirePath(), arguments, workingDirectory).GetAwaiter().GetResult();
        return (exitCode, output + "\n" + errors);
    }
}
