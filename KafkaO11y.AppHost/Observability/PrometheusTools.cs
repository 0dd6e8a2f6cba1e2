using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost.Observability;

/// <summary>
/// The Prometheus 3 and Alertmanager programs Embedded mode runs, when this machine has them:
/// the path in <c>KafkaO11y:Prometheus:Path</c> (<c>KafkaO11y:Alertmanager:Path</c>), else the
/// first on the PATH, else what <c>bash .ci/fetch-prometheus</c> put into the repository's
/// <c>.tools/bin</c>. Prometheus 2 does not count: the project's configuration needs 3.
/// </summary>
/// <param name="Prometheus">The Prometheus 3 program, or null.</param>
/// <param name="PrometheusVersion">What it says of its version.</param>
/// <param name="HasOtlpReceiver">Whether this build has the OTLP receiver (Debian's has not).</param>
/// <param name="WebAssets">Where a build that reads its web pages from disk (Debian's) finds them, if beside it.</param>
/// <param name="HasWebUi">Whether it serves its web UI; Debian's build has none (only its API).</param>
/// <param name="Alertmanager">The Alertmanager program, or null.</param>
/// <param name="AlertmanagerHasWebUi">Whether it serves its web UI; Debian's build has none (only its API).</param>
/// <param name="Missing">What was not found and how to get it, for the start-up log; empty when nothing is missing.</param>
public sealed partial record PrometheusTools(
    string? Prometheus, string? PrometheusVersion, bool HasOtlpReceiver, string? WebAssets, bool HasWebUi,
    string? Alertmanager, bool AlertmanagerHasWebUi, IReadOnlyList<string> Missing)
{
    public const string HowToGet =
        "run `bash .ci/fetch-prometheus` (puts Debian's builds into .tools/bin, where the AppHost looks), " +
        "put them on the PATH, or set KafkaO11y:Prometheus:Path and KafkaO11y:Alertmanager:Path";

    private const string DebianAlertmanagerTemplates = "/usr/share/prometheus/alertmanager";

    public static PrometheusTools Find(IConfiguration configuration, string repositoryRoot)
    {
        var toolsFolder = Path.Combine(repositoryRoot, ".tools", "bin");
        var missing = new List<string>();

        var (prometheus, version, rejectedPrometheus) = FirstUsable(
            Candidates(configuration[$"{KafkaO11ySettings.Section}:Prometheus:Path"], toolsFolder, "prometheus"),
            said => PrometheusThree().IsMatch(said) ? null : said);
        if (prometheus is null)
        {
            missing.Add("Prometheus 3" + (rejectedPrometheus.Count > 0 ? $" (not 3.x: {string.Join(", ", rejectedPrometheus)})" : ""));
        }

        var (alertmanager, _, rejectedAlertmanager) = FirstUsable(
            Candidates(configuration[$"{KafkaO11ySettings.Section}:Alertmanager:Path"], toolsFolder, "alertmanager", "prometheus-alertmanager"),
            // Debian's build reads its notification templates from there and stops without them.
            said => said.Contains("debian", StringComparison.Ordinal) && !File.Exists(Path.Combine(DebianAlertmanagerTemplates, "default.tmpl"))
                ? $"Debian's build, but {DebianAlertmanagerTemplates} has no default.tmpl"
                : null);
        if (alertmanager is null)
        {
            missing.Add("Alertmanager" + (rejectedAlertmanager.Count > 0 ? $" (unusable: {string.Join(", ", rejectedAlertmanager)})" : ""));
        }

        var help = prometheus is null ? "" : Run(prometheus, "--help") ?? "";
        var hasOtlpReceiver = help.Contains("--web.enable-otlp-receiver", StringComparison.Ordinal);

        // Upstream builds embed their UI; Debian's reads pages from --web.local-assets and ships no UI.
        string? webAssets = null;
        var hasWebUi = prometheus is not null;
        if (prometheus is not null && help.Contains("--web.local-assets", StringComparison.Ordinal))
        {
            var real = new FileInfo(prometheus).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? prometheus;
            var beside = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(real)!, "..", "share", "prometheus", "web"));
            webAssets = Directory.Exists(beside) ? beside + Path.DirectorySeparatorChar : null;
            var assets = webAssets ?? "/usr/share/prometheus/web/";
            hasWebUi = Directory.Exists(Path.Combine(assets, "static", "mantine-ui")) || Directory.Exists(Path.Combine(assets, "static", "react"));
        }

        // Likewise Alertmanager: Debian's reads its UI from --web.ui-path and ships none.
        var alertmanagerHelp = alertmanager is null ? "" : Run(alertmanager, "--help") ?? "";
        var uiPath = UiPath().Match(alertmanagerHelp);
        var alertmanagerHasWebUi = alertmanager is not null && (!uiPath.Success || Directory.Exists(uiPath.Groups[1].Value));

        return new PrometheusTools(prometheus, version, hasOtlpReceiver, webAssets, hasWebUi, alertmanager, alertmanagerHasWebUi, missing);
    }

    /// <summary>
    /// The first candidate that runs and whose <c>--version</c> line <paramref name="unusableBecause"/>
    /// finds nothing wrong with, its version line, and the reason each earlier one was passed over.
    /// </summary>
    private static (string? Path, string? Version, List<string> Rejected) FirstUsable(
        IEnumerable<string> candidates, Func<string, string?> unusableBecause)
    {
        var rejected = new List<string>();
        foreach (var candidate in candidates)
        {
            var said = FirstLine(candidate, "--version");
            var problem = said is null ? "does not run" : unusableBecause(said);
            if (problem is null)
            {
                return (candidate, said, rejected);
            }

            rejected.Add($"{candidate} ({problem})");
        }

        return (null, null, rejected);
    }

    /// <summary>A configured path first (it must exist), then the PATH, then the tools folder.</summary>
    private static IEnumerable<string> Candidates(string? configured, string toolsFolder, params string[] names)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            yield return Path.GetFullPath(configured);
            yield break;
        }

        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(toolsFolder);
        foreach (var folder in folders)
        {
            foreach (var name in names)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path))
                {
                    yield return path;
                }
            }
        }
    }

    private static string? FirstLine(string program, string argument) =>
        Run(program, argument)?.Split('\n', 2)[0].Trim();

    /// <summary>What the program prints (both streams), or null when it cannot run.</summary>
    private static string? Run(string program, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, argument)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return output.Result + errors.Result;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    [GeneratedRegex(@"--web\.ui-path=""([^""]+)""")]
    private static partial Regex UiPath();

    [GeneratedRegex(@"^prometheus, version 3\.")]
    private static partial Regex PrometheusThree();
}
