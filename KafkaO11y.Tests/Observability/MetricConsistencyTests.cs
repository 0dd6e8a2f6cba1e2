namespace KafkaO11y.Tests.Observability;

/// <summary>
/// Dashboards name only provisioned datasources, their legends only labels their queries keep,
/// and their PromQL parses: the original tutorial's empty panels and legends, found before anyone
/// opens Grafana. That every metric they name exists, the real Prometheus proves (RealPrometheusTests).
/// </summary>
public sealed class MetricConsistencyTests
{
    [Fact]
    public void The_containers_only_catalogue_knows_the_JMX_rules_and_the_reviewed_sources()
    {
        Assert.Contains("kafka_controller_kafkacontroller_activecontrollercount", MetricCatalogue.ContainersOnly.Keys);
        Assert.Contains("kafka_consumer_group_lag_ratio", MetricCatalogue.ContainersOnly.Keys);
        Assert.Contains("otelcol_receiver_refused_spans", MetricCatalogue.ContainersOnly.Keys);
    }

    [Fact]
    public void A_query_s_metric_names_are_read_out_of_its_PromQL()
    {
        var names = PromQl.MetricNames("sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{job=\"kafka-jmx\"}[$__rate_interval])) / no_such_metric_total");

        Assert.Equal(["kafka_server_brokertopicmetrics_messagesin_total", "no_such_metric_total"], names);
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
