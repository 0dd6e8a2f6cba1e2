using System.Text.Json;

namespace KafkaO11y.Tests.Observability;

/// <summary>A query of a dashboard: where it is, which datasource it names, its PromQL and legend.</summary>
public sealed record DashboardQuery(string Dashboard, string Panel, string? DatasourceUid, string Expression, string? Legend = null);

/// <summary>The provisioned dashboards, read as Grafana would.</summary>
public static class GrafanaDashboards
{
    public static string Folder => Path.Combine(Repository.Observability, "grafana", "dashboards");

    public static IReadOnlyList<string> Files => Directory.GetFiles(Folder, "*.json").Order().ToList();

    /// <summary>Every panel (rows' nested panels included), with its file.</summary>
    public static IEnumerable<(string Dashboard, JsonElement Panel)> Panels()
    {
        foreach (var file in Files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in Flatten(document.RootElement.GetProperty("panels")))
            {
                yield return (Path.GetFileName(file), panel.Clone());
            }
        }
    }

    /// <summary>Every Prometheus query of every panel and template variable.</summary>
    public static IEnumerable<DashboardQuery> PrometheusQueries()
    {
        foreach (var (dashboard, panel) in Panels())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                var uid = DatasourceUid(target) ?? DatasourceUid(panel);
                if (uid == "prometheus" && target.TryGetProperty("expr", out var expr) && expr.GetString() is { Length: > 0 } promql)
                {
                    var legend = target.TryGetProperty("legendFormat", out var format) ? format.GetString() : null;
                    yield return new DashboardQuery(dashboard, Title(panel), uid, promql, legend);
                }
            }
        }

        foreach (var file in Files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            if (!document.RootElement.TryGetProperty("templating", out var templating))
            {
                continue;
            }

            foreach (var variable in templating.GetProperty("list").EnumerateArray())
            {
                if (variable.GetProperty("type").GetString() != "query" || DatasourceUid(variable) != "prometheus")
                {
                    continue;
                }

                var query = variable.GetProperty("query");
                var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString() : query.GetString();
                if (VariableSelector(text) is { } selector)
                {
                    yield return new DashboardQuery(Path.GetFileName(file), $"variable {variable.GetProperty("name").GetString()}", "prometheus", selector);
                }
            }
        }
    }

    public static string? DatasourceUid(JsonElement element) =>
        element.TryGetProperty("datasource", out var datasource) && datasource.ValueKind == JsonValueKind.Object
            && datasource.TryGetProperty("uid", out var uid) ? uid.GetString() : null;

    public static string Title(JsonElement panel) =>
        panel.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "";

    /// <summary><c>label_values(selector, label)</c> and <c>query_result(expr)</c> name metrics; <c>label_values(label)</c> does not.</summary>
    private static string? VariableSelector(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return null;
        }

        query = query.Trim();
        if (query.StartsWith("label_values(", StringComparison.Ordinal))
        {
            var arguments = query["label_values(".Length..^1];
            var comma = arguments.LastIndexOf(',');
            return comma < 0 ? null : arguments[..comma];
        }

        return query.StartsWith("query_result(", StringComparison.Ordinal) ? query["query_result(".Length..^1] : null;
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var child in Flatten(nested))
                {
                    yield return child;
                }
            }
        }
    }
}
