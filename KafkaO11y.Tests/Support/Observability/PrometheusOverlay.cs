using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// Test time, shortened in the copy of observability/prometheus a test's Prometheus reads: the
/// global intervals, and every duration of the rules divided by <see cref="RuleTimeDivisor"/>
/// (<c>for</c>, <c>keep_firing_for</c>, a group's <c>interval</c>, and every range, subquery and
/// offset in an expression), so an alert that needs <c>rate(x[5m]) &gt; t for 5m</c> needs
/// <c>rate(x[15s]) &gt; t for 15s</c> with a divisor of 20. Never a query, a threshold or a label.
/// </summary>
public sealed partial record PrometheusOverlay(string? ScrapeInterval = null, string? EvaluationInterval = null, int RuleTimeDivisor = 1)
{
    /// <summary>Rewrites prometheus.yml and every rule file of a folder the AppHost laid out (<see cref="PrometheusFiles"/>).</summary>
    public void ApplyTo(string folder)
    {
        Rewrite(Path.Combine(folder, "prometheus.yml"), ApplyToConfig);
        foreach (var ruleFile in Directory.GetFiles(Path.Combine(folder, "rules"), "*.yml"))
        {
            Rewrite(ruleFile, ApplyToRules);
        }
    }

    private void Rewrite(string file, Action<YamlMappingNode> apply)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        apply((YamlMappingNode)stream.Documents[0].RootNode);
        using var text = new StringWriter();
        text.WriteLine($"# Overlay of a test: {this}");
        stream.Save(text, assignAnchors: false);
        File.WriteAllText(file, text.ToString());
    }

    /// <summary>Sets the global intervals of a prometheus.yml document.</summary>
    public void ApplyToConfig(YamlMappingNode config)
    {
        if (ScrapeInterval is null && EvaluationInterval is null)
        {
            return;
        }

        if (!config.Children.TryGetValue("global", out var globalNode) || globalNode is not YamlMappingNode global)
        {
            global = [];
            config.Children["global"] = global;
        }

        if (ScrapeInterval is not null)
        {
            global.Children["scrape_interval"] = ScrapeInterval;
        }

        if (EvaluationInterval is not null)
        {
            global.Children["evaluation_interval"] = EvaluationInterval;
        }
    }

    /// <summary>Divides every duration of a rule file's groups and rules by <see cref="RuleTimeDivisor"/>.</summary>
    public void ApplyToRules(YamlMappingNode rules)
    {
        if (RuleTimeDivisor == 1 || !rules.Children.TryGetValue("groups", out var groups) || groups is not YamlSequenceNode groupList)
        {
            return;
        }

        foreach (var group in groupList.OfType<YamlMappingNode>())
        {
            ScaleScalar(group, "interval", Divide);
            if (group.Children.TryGetValue("rules", out var ruleList) && ruleList is YamlSequenceNode list)
            {
                foreach (var rule in list.OfType<YamlMappingNode>())
                {
                    ScaleScalar(rule, "for", Divide);
                    ScaleScalar(rule, "keep_firing_for", Divide);
                    ScaleScalar(rule, "expr", ScaleExpression);
                }
            }
        }
    }

    /// <summary>Every range, subquery and offset of a PromQL expression divided.</summary>
    private string ScaleExpression(string expression)
    {
        var ranges = Range().Replace(expression, match =>
            match.Groups["step"].Success
                ? $"[{Divide(match.Groups["range"].Value)}:{(match.Groups["step"].Length > 0 ? Divide(match.Groups["step"].Value) : "")}]"
                : $"[{Divide(match.Groups["range"].Value)}]");
        return Offset().Replace(ranges, match => $"offset {match.Groups["sign"].Value}{Divide(match.Groups["duration"].Value)}");
    }

    private string Divide(string duration)
    {
        var divided = Milliseconds(duration) / RuleTimeDivisor;
        return divided > 0 || Milliseconds(duration) == 0
            ? Format(divided)
            : throw new InvalidOperationException($"RuleTimeDivisor={RuleTimeDivisor} makes {duration} in a rule shorter than 1 ms.");
    }

    private static void ScaleScalar(YamlMappingNode mapping, string key, Func<string, string> scale)
    {
        if (mapping.Children.TryGetValue(key, out var node) && node is YamlScalarNode { Value: { } value } scalar)
        {
            mapping.Children[key] = new YamlScalarNode(scale(value)) { Style = scalar.Style };
        }
    }

    /// <summary>A Prometheus duration (<c>1h30m</c>, <c>15s</c>, <c>500ms</c>) in milliseconds.</summary>
    private static long Milliseconds(string duration)
    {
        long total = 0;
        foreach (Match part in DurationPart().Matches(duration))
        {
            var amount = long.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += amount * part.Groups[2].Value switch
            {
                "ms" => 1L,
                "s" => 1_000L,
                "m" => 60_000L,
                "h" => 3_600_000L,
                "d" => 86_400_000L,
                "w" => 604_800_000L,
                _ => 31_536_000_000L,
            };
        }

        return total;
    }

    private static string Format(long milliseconds) =>
        milliseconds % 1000 == 0
            ? $"{(milliseconds / 1000).ToString(CultureInfo.InvariantCulture)}s"
            : $"{milliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    [GeneratedRegex(@"(\d+)(ms|s|m|h|d|w|y)")]
    private static partial Regex DurationPart();

    /// <summary>A range <c>[5m]</c> or a subquery <c>[10m:1m]</c> (<c>[10m:]</c>) of a PromQL expression.</summary>
    [GeneratedRegex(@"\boffset\s+(?<sign>-?)(?<duration>(?:\d+(?:ms|s|m|h|d|w|y))+)")]
    private static partial Regex Offset();

    [GeneratedRegex(@"\[\s*(?<range>(?:\d+(?:ms|s|m|h|d|w|y))+)\s*(?::\s*(?<step>(?:\d+(?:ms|s|m|h|d|w|y))*)\s*)?\]")]
    private static partial Regex Range();
}
