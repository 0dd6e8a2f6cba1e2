using System.Text.RegularExpressions;

namespace KafkaO11y.AppHost.Prometheus;

/// <summary>
/// The Prometheus 3 and Alertmanager programs Embedded mode runs, when this machine has them
/// (<see cref="LocalPrograms"/>; <c>KafkaO11y:Prometheus:Path</c> and <c>KafkaO11y:Alertmanager:Path</c>
/// name one). Prometheus 2 does not count: the project's configuration needs 3.
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

    public static PrometheusTools Find(KafkaO11yOptions options, string repositoryRoot)
    {
        var missing = new List<string>();

        var (prometheus, version, rejectedPrometheus) = LocalPrograms.Find(
            repositoryRoot, options.Prometheus.Path,
            said => PrometheusThree().IsMatch(said) ? null : said,
            "prometheus");
        if (prometheus is null)
        {
            missing.Add("Prometheus 3" + (rejectedPrometheus.Count > 0 ? $" (not 3.x: {string.Join(", ", rejectedPrometheus)})" : ""));
        }

        var (alertmanager, _, rejectedAlertmanager) = LocalPrograms.Find(
            repositoryRoot, options.Alertmanager.Path,
            // Debian's build reads its notification templates from there and stops without them.
            said => said.Contains("debian", StringComparison.Ordinal) && !File.Exists(Path.Combine(DebianAlertmanagerTemplates, "default.tmpl"))
                ? $"Debian's build, but {DebianAlertmanagerTemplates} has no default.tmpl"
                : null,
            "alertmanager", "prometheus-alertmanager");
        if (alertmanager is null)
        {
            missing.Add("Alertmanager" + (rejectedAlertmanager.Count > 0 ? $" (unusable: {string.Join(", ", rejectedAlertmanager)})" : ""));
        }

        var help = prometheus is null ? "" : LocalPrograms.Run(prometheus, "--help") ?? "";
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
        var alertmanagerHelp = alertmanager is null ? "" : LocalPrograms.Run(alertmanager, "--help") ?? "";
        var uiPath = UiPath().Match(alertmanagerHelp);
        var alertmanagerHasWebUi = alertmanager is not null && (!uiPath.Success || Directory.Exists(uiPath.Groups[1].Value));

        return new PrometheusTools(prometheus, version, hasOtlpReceiver, webAssets, hasWebUi, alertmanager, alertmanagerHasWebUi, missing);
    }

    [GeneratedRegex(@"--web\.ui-path=""([^""]+)""")]
    private static partial Regex UiPath();

    [GeneratedRegex(@"^prometheus, version 3\.")]
    private static partial Regex PrometheusThree();
}
