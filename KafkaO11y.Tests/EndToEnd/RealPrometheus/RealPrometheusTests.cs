using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.EndToEnd.RealPrometheus;

/// <summary>
/// Every dashboard panel, every rule and every alert, proven on the series a real Prometheus 3
/// holds after scraping the real services through the fault scenarios (<see cref="RealPrometheusFixture"/>).
/// What cannot run in Embedded mode (broker JMX, kafka_metrics, Tempo, the collector, Loki) must
/// be exactly what the Containers-only catalogue names, so a typo cannot hide there.
/// </summary>
[Collection(RealPrometheusCollection.Name)]
public sealed class RealPrometheusTests(RealPrometheusFixture fixture, ITestOutputHelper output)
{
    /// <summary>Grafana's step for a panel (<c>$__interval</c>) in these range queries.</summary>
    private static readonly TimeSpan PanelStep = TimeSpan.FromSeconds(5);

    public static IEnumerable<object[]> ScenarioAlerts =>
        RealPrometheusFixture.Scenarios.SelectMany(s => s.Alerts.Select(alert => new object[] { s.Name, alert }));

    public static IEnumerable<object[]> ScenarioNames => RealPrometheusFixture.Scenarios.Select(s => new object[] { s.Name });

    [Fact]
    public void Every_application_alert_is_driven_by_a_scenario()
    {
        var driven = RealPrometheusFixture.Scenarios.SelectMany(s => s.Alerts).ToHashSet();
        var applicationAlerts = PrometheusRules.All().Where(r => r.File == "kafka-applications.rules.yml" && r.Alert is not null).Select(r => r.Alert!).ToList();
        Assert.NotEmpty(applicationAlerts);
        Assert.All(applicationAlerts, alert => Assert.Contains(alert, driven));
    }

    [SkippableTheory]
    [MemberData(nameof(ScenarioAlerts))]
    public void The_alert_fires_reaches_Alertmanager_and_the_receiver_and_ends_after_the_undo(string scenario, string alert)
    {
        RequireRun();
        var outcome = fixture.Outcomes.Single(o => o.Scenario == scenario && o.Alert == alert);
        output.WriteLine($"{scenario}: {alert} firing after {Seconds(outcome.FiringAfter)}, inactive {Seconds(outcome.InactiveAfterUndo)} after the undo " +
            $"(rule durations divided by {RealPrometheusFixture.RuleTimeDivisor}).");
        Assert.True(outcome.Problem is null, $"{scenario}: {alert} {outcome.Problem}.");
    }

    [SkippableTheory]
    [MemberData(nameof(ScenarioNames))]
    public void Only_the_alerts_a_scenario_explains_fire_and_the_system_is_quiet_after_its_undo(string scenario)
    {
        RequireRun();
        var explains = RealPrometheusFixture.Scenarios.Single(s => s.Name == scenario);
        var fired = fixture.Fired[scenario];
        output.WriteLine($"{scenario}: fired {string.Join("; ", fired.Select(Describe))}");
        var unexplained = fired.Where(a => !explains.Explains(a)).Select(Describe).ToList();
        Assert.True(unexplained.Count == 0, $"{scenario} fired alerts it should not: {string.Join("; ", unexplained)}");
        Assert.True(fixture.ScenarioProblems[scenario] is null, $"{scenario}: {fixture.ScenarioProblems[scenario]}");
    }

    [SkippableFact]
    public async Task The_alerts_receiver_answers_a_body_that_is_not_a_notification_with_a_400_problem()
    {
        RequireRun();
        var receiver = fixture.App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>()
            .Resources.OfType<KafkaO11y.AppHost.Alertmanager.AlertReceiverResource>().Single();
        using var http = new HttpClient();

        foreach (var body in new[] { "{\"alerts\": 42}", "{}", "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": \"X\"}}]}", "not json" })
        {
            using var response = await http.PostAsync(receiver.WebhookUrl, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // And it goes on taking notifications.
        using var next = await http.PostAsync(receiver.WebhookUrl, new StringContent("{\"alerts\": []}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, next.StatusCode);
    }

    [SkippableFact]
    public async Task Every_dashboard_query_returns_series_or_needs_a_Containers_only_source()
    {
        RequireRun();
        var queries = new List<(string Where, string Expression, string Interpolated)>();
        var rateInterval = TimeSpan.FromTicks(Math.Max((PanelStep + RealPrometheusFixture.ScrapeInterval).Ticks, 4 * RealPrometheusFixture.ScrapeInterval.Ticks));
        foreach (var dashboard in GrafanaDashboards.Files.Select(Path.GetFileName))
        {
            var values = new Dictionary<string, string>
            {
                ["__interval"] = Duration(PanelStep),
                ["__rate_interval"] = Duration(rateInterval),
                ["__range"] = Duration(fixture.End - fixture.Start),
            };
            foreach (var variable in GrafanaDashboards.Variables(dashboard!))
            {
                IReadOnlyCollection<string> all = variable.Label is null ? [] : await fixture.Prometheus.LabelValuesAsync(variable.Label, fixture.Start, fixture.End, variable.Selector);
                values[variable.Name] = GrafanaDashboards.MultiValue(variable, all);
            }

            queries.AddRange(GrafanaDashboards.PrometheusQueries().Where(q => q.Dashboard == dashboard)
                .Select(q => ($"{q.Dashboard} / {q.Panel}", q.Expression, GrafanaDashboards.Interpolate(q.Expression, values))));
        }

        await AssertEachReturnsSeriesOrIsContainersOnlyAsync("dashboard queries", queries, PanelStep);
    }

    [SkippableFact]
    public async Task Every_rule_expression_returns_series_or_needs_a_Containers_only_source()
    {
        RequireRun();
        // The rules as Prometheus loaded them: every file, durations shortened by the overlay.
        var rules = await fixture.Prometheus.RulesAsync();
        Assert.Equal(PrometheusRules.All().Select(r => r.Alert ?? r.Record).Order(), rules.Select(r => r.Name).Order());

        await AssertEachReturnsSeriesOrIsContainersOnlyAsync(
            "rule expressions", [.. rules.Select(r => ($"{r.Group} / {r.Name}", r.Query, r.Query))], RealPrometheusFixture.ScrapeInterval);
    }

    [SkippableFact]
    public async Task The_Containers_only_catalogue_holds_no_metric_Embedded_mode_has()
    {
        RequireRun();
        var observed = await fixture.Prometheus.MetricNamesAsync(fixture.Start, fixture.End);
        var wrong = MetricCatalogue.ContainersOnly.Keys.Where(observed.Contains).Order().ToList();
        Assert.True(wrong.Count == 0, "Embedded mode's Prometheus has these, so they are not Containers-only; remove them from the catalogue: " + string.Join(", ", wrong));
    }

    /// <summary>
    /// Item for item, the services' scrape endpoint gives the series Prometheus's OTLP receiver
    /// makes of the same instruments (names from Prometheus's own translation library), with the
    /// labels the dashboards filter by: the promoted resource attributes, job and instance.
    /// </summary>
    [SkippableFact]
    public async Task The_scrape_path_and_the_OTLP_path_give_every_instrument_the_same_names()
    {
        RequireRun();
        var instruments = ServiceInstruments.All();
        Assert.NotEmpty(instruments);
        var promoted = Yaml.Load(Path.Combine(Repository.Observability, "prometheus", "prometheus.yml")).Map("otlp").Strings("promote_resource_attributes");
        var otlp = await PrometheusOtlpNames.TranslateAsync(instruments, promoted);

        var scraped = await fixture.Prometheus.LabelValuesAsync("__name__", fixture.Start, fixture.End, "{job=~\"producer|consumer\"}");
        var problems = new List<string>();
        foreach (var instrument in instruments.OrderBy(i => i.Name))
        {
            var names = otlp.Metrics[instrument.Name];
            output.WriteLine($"{instrument.Name} ({instrument.Unit}, {instrument.GetType().Name.Split('`')[0]}) -> {string.Join(", ", names)}");
            problems.AddRange(names.Where(name => !scraped.Contains(name))
                .Select(name => $"{instrument.Name}: the OTLP path stores {name}, the scrape path has no such series"));
        }

        // Labels: the OTLP path's job (service name), instance (service instance id) and promoted resource attributes.
        var series = await fixture.Prometheus.SeriesAsync("messaging_client_sent_messages_total", fixture.Start, fixture.End);
        Assert.NotEmpty(series);
        var serviceName = otlp.Labels["service.name"];
        var instanceId = otlp.Labels["service.instance.id"];
        Assert.Equal("service_name", serviceName);
        foreach (var labels in series)
        {
            Assert.True(labels.ContainsKey(serviceName) && labels.ContainsKey(instanceId), $"Missing promoted resource labels: {string.Join(", ", labels.Keys)}");
            Assert.Equal(labels[serviceName], labels["job"]);
            Assert.Equal(labels[instanceId], labels["instance"]);
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// Each query returns at least one series over the run, unless it names a Containers-only
    /// metric; every metric it names is one Prometheus held or one the catalogue names.
    /// </summary>
    private async Task AssertEachReturnsSeriesOrIsContainersOnlyAsync(
        string what, IReadOnlyList<(string Where, string Expression, string Interpolated)> queries, TimeSpan step)
    {
        Assert.NotEmpty(queries);
        var observed = await fixture.Prometheus.MetricNamesAsync(fixture.Start, fixture.End);
        var problems = new List<string>();
        var containersOnly = new List<string>();
        var withSeries = 0;
        foreach (var (where, expression, interpolated) in queries)
        {
            var names = SourceMetrics(expression);
            var unknown = names.Where(n => !observed.Contains(n) && !MetricCatalogue.ContainersOnly.ContainsKey(n)).ToList();
            if (unknown.Count > 0)
            {
                problems.Add($"{where}: names {string.Join(", ", unknown)}, which neither Embedded mode's Prometheus held nor the Containers-only catalogue names");
                continue;
            }

            var series = await fixture.Prometheus.RangeSeriesAsync(interpolated, fixture.Start, fixture.End, step);
            var sources = names.Where(MetricCatalogue.ContainersOnly.ContainsKey).Select(n => MetricCatalogue.ContainersOnly[n]).Distinct().ToList();
            if (series > 0)
            {
                withSeries++;
            }
            else if (sources.Count > 0)
            {
                containersOnly.Add($"{where} <- {string.Join("; ", sources)}");
            }
            else
            {
                problems.Add($"{where}: returned no series, though every metric it names ({string.Join(", ", names)}) is in Embedded mode's Prometheus\n    {interpolated}");
            }
        }

        output.WriteLine($"{queries.Count} {what} evaluated over {Seconds(fixture.End - fixture.Start)}: {withSeries} returned series, {containersOnly.Count} need a Containers-only source:");
        containersOnly.ForEach(output.WriteLine);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// The metrics a query reads. <c>ALERTS{alertname=~"..."}</c> reads the alerts it selects, so
    /// those alerts' metrics stand in for it: a panel of broker alerts needs the JMX exporter.
    /// </summary>
    private static IReadOnlyList<string> SourceMetrics(string expression)
    {
        var names = PromQl.MetricNames(expression);
        if (!names.Any(n => n is "ALERTS" or "ALERTS_FOR_STATE"))
        {
            return names;
        }

        var selector = System.Text.RegularExpressions.Regex.Match(expression, "alertname\\s*=~?\\s*\"([^\"]+)\"");
        Assert.True(selector.Success, $"'{expression}' reads ALERTS without naming the alerts it shows.");
        var alerts = PrometheusRules.All()
            .Where(r => r.Alert is not null && System.Text.RegularExpressions.Regex.IsMatch(r.Alert, $"^(?:{selector.Groups[1].Value})$"))
            .ToList();
        Assert.True(alerts.Count > 0, $"'{expression}' selects no alert of the rule files.");
        return [.. names.Where(n => n is not ("ALERTS" or "ALERTS_FOR_STATE")).Concat(alerts.SelectMany(a => PromQl.MetricNames(a.Expression))).Distinct()];
    }

    private static string Describe(ListedAlert alert) =>
        $"{alert.Name}{{{string.Join(", ", alert.Labels.Where(l => l.Key is not ("alertname" or "severity")).Select(l => $"{l.Key}={l.Value}"))}}}";

    private void RequireRun() => ExternalTool.Require(fixture.Missing is null, fixture.Missing ?? "");

    private static string Duration(TimeSpan span) => $"{(long)span.TotalSeconds}s";

    private static string Seconds(TimeSpan? span) =>
        span is null ? "never" : $"{span.Value.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s";
}
