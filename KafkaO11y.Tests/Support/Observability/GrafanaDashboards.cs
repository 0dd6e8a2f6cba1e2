using System.Text.Json;

namespace KafkaO11y.Tests.Support;

/// <summary>A query of a dashboard: where it is, which datasource it names, its PromQL and legend.</summary>
public sealed record DashboardQuery(string Dashboard, string Panel, string? DatasourceUid, string Expression, string? Legend = null);

/// <summary>
/// A query template variable: its datasource, the series it reads (<c>label_values(selector, label)</c>
/// or <c>query_result(expr)</c>), the label whose values it lists, its "All" value and current selection.
/// </summary>
public sealed record TemplateVariable(
    string Name, string? DatasourceUid, string? Selector, string? Label, string? AllValue, IReadOnlyList<string> Current);

/// <summary>The provisioned dashboards, read as Grafana would.</summary>
public static partial class GrafanaDashboards
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

        foreach (var dashboard in Files.Select(Path.GetFileName))
        {
            foreach (var variable in Variables(dashboard!).Where(v => v.DatasourceUid == "prometheus" && v.Selector is not null))
            {
                yield return new DashboardQuery(dashboard!, $"variable {variable.Name}", "prometheus", variable.Selector!);
            }
        }
    }

    /// <summary>The query variables of a dashboard file (by its file name).</summary>
    public static IReadOnlyList<TemplateVariable> Variables(string dashboard)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, dashboard)));
        if (!document.RootElement.TryGetProperty("templating", out var templating))
        {
            return [];
        }

        return [.. templating.GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .Select(v =>
            {
                var query = v.GetProperty("query");
                var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString() : query.GetString();
                var current = v.TryGetProperty("current", out var c) && c.TryGetProperty("value", out var value)
                    ? value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(x => x.GetString()!)] : [value.GetString()!]
                    : new List<string>();
                return new TemplateVariable(
                    v.GetProperty("name").GetString()!,
                    DatasourceUid(v),
                    VariableSelector(text),
                    LabelValuesLabel(text),
                    v.TryGetProperty("allValue", out var all) && all.ValueKind == JsonValueKind.String ? all.GetString() : null,
                    current);
            })];
    }

    /// <summary>
    /// The query as Grafana sends it to Prometheus: its own variables (<c>$__interval</c>,
    /// <c>$__rate_interval</c>, <c>$__range</c>) and the dashboard's, each with its value.
    /// </summary>
    public static string Interpolate(string expression, IReadOnlyDictionary<string, string> values) =>
        // What is no variable ($1 of a label_replace, a misspelt name) Grafana sends as it is.
        VariableReference().Replace(expression, match =>
            values.TryGetValue(match.Groups["name"].Value, out var value) ? value : match.Value);

    /// <summary>
    /// A multi-value variable's value in a regex matcher, as Grafana's Prometheus datasource
    /// writes it: "All" is the variable's allValue when it has one, else every value; several
    /// values are escaped and joined as <c>(a|b)</c>.
    /// </summary>
    public static string MultiValue(TemplateVariable variable, IReadOnlyCollection<string> allValues)
    {
        var selected = variable.Current.SequenceEqual(["$__all"])
            ? variable.AllValue is { } allValue ? null : allValues
            : variable.Current;
        if (selected is null)
        {
            return variable.AllValue!;
        }

        var escaped = selected.Select(v => RegexSpecial().Replace(v, @"\\$0")).ToList();
        return escaped.Count == 1 ? escaped[0] : $"({string.Join('|', escaped)})";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\{(?<name>\w+)(?::\w+)?\}|\$(?<name>\w+)")]
    private static partial System.Text.RegularExpressions.Regex VariableReference();

    [System.Text.RegularExpressions.GeneratedRegex(@"[\\^$*+?.()|{}\[\]]")]
    private static partial System.Text.RegularExpressions.Regex RegexSpecial();

    public static string? DatasourceUid(JsonElement element) =>
        element.TryGetProperty("datasource", out var datasource) && datasource.ValueKind == JsonValueKind.Object
            && datasource.TryGetProperty("uid", out var uid) ? uid.GetString() : null;

    public static string Title(JsonElement panel) =>
        panel.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "";

    /// <summary><c>label_values(selector, label)</c> and <c>query_result(expr)</c> name metrics; <c>label_values(label)</c> does not.</summary>
    /// <summary>The label of <c>label_values(selector, label)</c>, or null for any other query.</summary>
    private static string? LabelValuesLabel(string? query) =>
        VariableSelector(query) is { } selector && query!.Trim().StartsWith("label_values(", StringComparison.Ordinal)
            ? query.Trim()["label_values(".Length..^1][(selector.Length + 1)..].Trim()
            : null;

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
