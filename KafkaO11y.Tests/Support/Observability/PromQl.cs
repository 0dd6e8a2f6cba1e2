using System.Text.RegularExpressions;

namespace KafkaO11y.Tests.Support;

/// <summary>Reads the metric names out of a PromQL expression (as Grafana or a rule file holds it).</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords =
    [
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
        "inf", "nan", "Inf", "NaN", "start", "end",
    ];

    public static IReadOnlyList<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        text = GrafanaVariables().Replace(text, " ");
        text = LabelMatchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return [.. Identifiers().Matches(text).Select(m => m.Groups[1].Value).Where(name => !Keywords.Contains(name)).Distinct()];
    }

    /// <summary>The labels kept by the expression's <c>by (...)</c> clauses; empty when it has none.</summary>
    public static IReadOnlySet<string> GroupingLabels(string expression) =>
        ByClauses().Matches(Strings().Replace(expression, "\"\""))
            .SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToHashSet();

    /// <summary>
    /// The expression with Grafana's variables replaced by values Prometheus accepts, so that
    /// promtool can parse what Grafana would send.
    /// </summary>
    public static string WithGrafanaVariablesResolved(string expression) =>
        GrafanaVariables().Replace(
            expression.Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$__interval", "1m", StringComparison.Ordinal)
                .Replace("$__range", "1h", StringComparison.Ordinal),
            ".*");

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+")]
    private static partial Regex GrafanaVariables();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\bby\s*\(([^)]*)\)")]
    private static partial Regex ByClauses();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
