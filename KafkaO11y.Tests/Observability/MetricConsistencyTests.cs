namespace KafkaO11y.Tests.Observability;

/// <summary>
/// Dashboards and alert rules name only metrics the system emits, name only provisioned
/// datasources, and their PromQL parses: the original tutorial's empty panels and legends, found
/// before anyone opens Grafana.
/// </summary>
public sealed class MetricConsistencyTests
{
    [Fact]
    public void The_catalogue_knows_the_metrics_of_the_code_the_JMX_rules_and_the_reviewed_sources()
    {
        Assert.Contains("messaging_client_sent_messages_total", MetricCatalogue.FromCode());
        Assert.Contains("messaging_process_duration_seconds_bucket", MetricCatalogue.FromCode());
        Assert.Contains("kafkao11y_message_end_to_end_duration_seconds_bucket", MetricCatalogue.FromCode());
        Assert.Contains("messaging_kafka_client_sent_bytes_total", MetricCatalogue.FromCode());
        Assert.Contains("messaging_kafka_consumer_lag", MetricCatalogue.FromCode());
        Assert.Contains("kafka_controller_kafkacontroller_activecontrollercount", MetricCatalogue.FromJmxCatalogue());
        Assert.Contains("up", MetricCatalogue.All.Keys);
    }

    [Fact]
    public void A_name_nothing_emits_is_caught()
    {
        var names = PromQl.MetricNames("sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{job=\"kafka-jmx\"}[$__rate_interval])) / no_such_metric_total");

        Assert.Equal(["kafka_server_brokertopicmetrics_messagesin_total", "no_such_metric_total"], names);
        Assert.DoesNotContain("no_such_metric_total", MetricCatalogue.All.Keys);
    }

    [Fact]
    public void Every_metric_a_dashboard_queries_is_one_the_system_emits()
    {
        var queries = GrafanaDashboards.PrometheusQueries().ToList();
        Assert.NotEmpty(queries);

        var unknown = queries
            .SelectMany(q => PromQl.MetricNames(q.Expression).Select(name => (q.Dashboard, q.Panel, Name: name)))
            .Where(use => !MetricCatalogue.All.ContainsKey(use.Name))
            .Select(use => $"{use.Dashboard} / {use.Panel}: {use.Name}")
            .ToList();
        Assert.True(unknown.Count == 0, "Metrics nothing emits:\n" + string.Join('\n', unknown));
    }

    [Fact]
    public void Legends_name_only_labels_the_query_keeps()
    {
        // The original tutorial's legends named a service_name label its sums had dropped: empty legends.
        var wrong = GrafanaDashboards.PrometheusQueries()
            .Where(q => q.Legend is not null && PromQl.GroupingLabels(q.Expression).Count > 0)
            .SelectMany(q => System.Text.RegularExpressions.Regex.Matches(q.Legend!, @"\{\{\s*([\w]+)\s*\}\}")
                .Select(m => m.Groups[1].Value)
                .Where(label => !PromQl.GroupingLabels(q.Expression).Contains(label))
                .Select(label => $"{q.Dashboard} / {q.Panel}: legend names '{label}', which '{q.Expression}' aggregates away"))
            .ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void Every_metric_a_rule_uses_is_one_the_system_emits()
    {
        var rules = PrometheusRules.All();
        Assert.NotEmpty(rules);
        var recorded = rules.Where(r => r.Record is not null).Select(r => r.Record!).ToHashSet();

        var unknown = rules
            .SelectMany(r => PromQl.MetricNames(r.Expression).Select(name => (r.File, Rule: r.Alert ?? r.Record, Name: name)))
            .Where(use => !MetricCatalogue.All.ContainsKey(use.Name) && !recorded.Contains(use.Name))
            .Select(use => $"{use.File} / {use.Rule}: {use.Name}")
            .ToList();
        Assert.True(unknown.Count == 0, "Metrics nothing emits:\n" + string.Join('\n', unknown));
    }

    [Fact]
    public void Every_panel_names_a_provisioned_datasource()
    {
        var provisioned = new HashSet<string> { "prometheus", "tempo", "loki" };
        var panels = GrafanaDashboards.Panels().Where(p => p.Panel.GetProperty("type").GetString() != "row").ToList();
        Assert.NotEmpty(panels);

        foreach (var (dashboard, panel) in panels)
        {
            var uid = GrafanaDashboards.DatasourceUid(panel);
            Assert.True(uid is not null && provisioned.Contains(uid),
                $"{dashboard} / {GrafanaDashboards.Title(panel)} has datasource '{uid}', not a provisioned one.");
        }
    }

    [SkippableFact]
    public void Every_dashboard_query_parses_as_PromQL()
    {
        var queries = GrafanaDashboards.PrometheusQueries().Where(q => !q.Panel.StartsWith("variable ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(queries);

        // promtool parses expressions in rule files: one recording rule per query.
        var rules = new Dictionary<string, object>
        {
            ["groups"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = "dashboard-queries",
                    ["rules"] = queries.Select((q, i) => new Dictionary<string, string>
                    {
                        ["record"] = $"dashboard:query:{i}",
                        ["expr"] = PromQl.WithGrafanaVariablesResolved(q.Expression),
                    }).ToArray(),
                },
            },
        };
        var file = Path.Combine(Directory.CreateTempSubdirectory("kafka-o11y-dashboards-").FullName, "dashboard-queries.yml");
        File.WriteAllText(file, new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(rules));

        var (exitCode, output) = ExternalTool.Promtool.Run(Path.GetDirectoryName(file)!, "check", "rules", file);
        Assert.True(exitCode == 0, $"A dashboard query does not parse:\n{output}\n" +
            string.Join('\n', queries.Select((q, i) => $"dashboard:query:{i} = {q.Dashboard} / {q.Panel}")));
    }
}
