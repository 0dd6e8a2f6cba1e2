namespace KafkaO11y.Tests.Observability;

/// <summary>The alert rules: described for the person paged, and proven by promtool's rule unit tests.</summary>
public sealed class AlertRuleTests
{
    private static readonly string[] ExpectedAlerts =
    [
        // Broker
        "KafkaActiveControllerCountNotOne", "KafkaOfflinePartitions", "KafkaUnderReplicatedPartitions",
        "KafkaUnderMinIsrPartitions", "KafkaUncleanLeaderElections", "KafkaRequestHandlerIdleLow",
        // Applications
        "KafkaConsumerLagHigh", "KafkaNoMessagesConsumedWhileProduced", "KafkaEndToEndLatencyP99High", "KafkaProduceErrorRateHigh",
        "KafkaProcessingErrorRateHigh", "KafkaDeadLetterMessages",
    ];

    [Fact]
    public void The_alerts_the_runbook_promises_exist()
    {
        var alerts = PrometheusRules.All().Where(r => r.Alert is not null).Select(r => r.Alert!).ToHashSet();
        Assert.All(ExpectedAlerts, alert => Assert.Contains(alert, alerts));
        Assert.Contains(alerts, a => a.Contains("TargetDown", StringComparison.Ordinal) || a.Contains("ScrapeTarget", StringComparison.Ordinal));
        Assert.Contains(alerts, a => a.StartsWith("OtelCollector", StringComparison.Ordinal) || a.StartsWith("Collector", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_a_description_and_a_runbook()
    {
        foreach (var alert in PrometheusRules.All().Where(r => r.Alert is not null))
        {
            Assert.True(alert.Labels.GetValueOrDefault("severity") is "critical" or "warning", $"{alert.Alert}: severity must be critical or warning.");
            foreach (var annotation in new[] { "summary", "description", "runbook" })
            {
                Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault(annotation)?.ToString()),
                    $"{alert.Alert} has no {annotation}.");
            }
        }
    }

    [Fact]
    public void Every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not()
    {
        var (firing, notFiring) = PrometheusRules.TestedAlerts();
        foreach (var alert in PrometheusRules.All().Where(r => r.Alert is not null).Select(r => r.Alert!))
        {
            Assert.True(firing.Contains(alert), $"No rule test expects {alert} to fire.");
            Assert.True(notFiring.Contains(alert), $"No rule test expects {alert} to stay quiet.");
        }
    }

    [Fact]
    public void Every_alert_shows_in_a_dashboards_firing_alerts_panel()
    {
        var filters = GrafanaDashboards.PrometheusQueries()
            .Select(q => System.Text.RegularExpressions.Regex.Match(q.Expression, "^ALERTS\\{.*alertname=~\"([^\"]+)\""))
            .Where(m => m.Success)
            .Select(m => new System.Text.RegularExpressions.Regex($"^(?:{m.Groups[1].Value})$"))
            .ToList();
        Assert.NotEmpty(filters);

        foreach (var alert in PrometheusRules.All().Where(r => r.Alert is not null).Select(r => r.Alert!))
        {
            Assert.True(filters.Exists(f => f.IsMatch(alert)), $"{alert} appears in no dashboard's firing-alerts panel.");
        }
    }

    [SkippableFact]
    public void The_rule_unit_tests_pass_under_promtool()
    {
        var tests = Directory.GetFiles(PrometheusRules.TestsFolder, "*.yml");
        Assert.NotEmpty(tests);

        var (exitCode, output) = ExternalTool.Promtool.Run(PrometheusRules.TestsFolder, ["test", "rules", .. tests]);
        Assert.True(exitCode == 0, $"promtool test rules failed:\n{output}");
    }
}
