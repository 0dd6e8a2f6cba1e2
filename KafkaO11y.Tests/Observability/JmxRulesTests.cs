using System.Globalization;
using System.Text.RegularExpressions;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// The JMX exporter's rules held against the MBeans Kafka 4.3 really registers
/// (observability/jmx-exporter/kafka-mbeans.yml, read from Kafka's source at the pinned tag): each
/// bean attribute is written as the exporter writes it before matching
/// (<c>domain&lt;key=value, ...&gt;&lt;composite&gt;attribute: value</c>, keys in the bean's own
/// order), the first matching rule names it, and the names that come out are the ones
/// METRICS.md promises the dashboards and alert rules.
/// </summary>
public sealed partial class JmxRulesTests
{
    private static readonly string Folder = Path.Combine(Repository.Observability, "jmx-exporter");

    // Attributes the exporter reads from Kafka's Yammer MBeans, by kind (Kafka's KafkaYammerMetrics JMX reporter).
    private static readonly string[] MeterAttributes = ["Count", "MeanRate", "OneMinuteRate", "FiveMinuteRate", "FifteenMinuteRate"];
    private static readonly string[] HistogramAttributes =
        ["Count", "Min", "Max", "Mean", "StdDev", "50thPercentile", "75thPercentile", "95thPercentile", "98thPercentile", "99thPercentile", "999thPercentile"];

    [Fact]
    public void Every_rule_matches_a_bean_kafka_registers()
    {
        var exported = Export();
        var unused = Rules().Select((rule, index) => (rule, index)).Where(r => !exported.Any(e => e.Rule == r.index))
            .Select(r => $"rule {r.index + 1}: {r.rule.Pattern}").ToList();
        Assert.True(unused.Count == 0, "Rules that match no MBean of kafka-mbeans.yml (a renamed or removed bean, or a typo):\n" + string.Join("\n", unused));
    }

    [Fact]
    public void The_rules_export_exactly_the_names_METRICS_md_promises()
    {
        var exported = Export().Select(e => e.Name).ToHashSet();
        var promised = MetricCatalogue.FromJmxCatalogue(rulesOnly: true).ToHashSet();
        Assert.NotEmpty(promised);
        var missing = promised.Except(exported).Order().ToList();
        var extra = exported.Except(promised).Order().ToList();
        Assert.True(missing.Count == 0, "METRICS.md promises names no rule exports from Kafka's MBeans:\n" + string.Join("\n", missing));
        Assert.True(extra.Count == 0, "Rules export names METRICS.md does not list:\n" + string.Join("\n", extra));
    }

    /// <summary>The same check fails where a rule's bean name is misspelt: the proof that it can.</summary>
    [Fact]
    public void A_misspelt_bean_name_in_a_rule_is_caught()
    {
        var rules = Rules().ToList();
        var index = rules.FindIndex(r => r.Pattern.Contains("name=UncleanLeaderElections", StringComparison.Ordinal)
            || r.Pattern.Contains("(UncleanLeaderElections", StringComparison.Ordinal));
        Assert.True(index >= 0, "no rule reads UncleanLeaderElectionsPerSec");
        rules[index] = rules[index] with { Pattern = rules[index].Pattern.Replace("UncleanLeaderElections", "UncleanLeaderElection", StringComparison.Ordinal) };
        var names = Export(rules).Select(e => e.Name).ToHashSet();
        Assert.DoesNotContain("kafka_controller_controllerstats_uncleanleaderelections_total", names);
    }

    [Fact]
    public void The_bean_list_was_read_at_the_kafka_version_the_app_host_pins()
    {
        var upstream = Yaml.Load(Path.Combine(Folder, "kafka-mbeans.yml")).Map("upstream");
        Assert.Equal(KafkaO11y.AppHost.ContainerImages.Kafka.Tag, upstream["tag"]?.ToString());
        Assert.Matches("^[0-9a-f]{40}$", upstream["commit"]?.ToString() ?? "");
    }

    /// <summary>The header run.sh writes in front of the rules uses only keys the pinned exporter accepts.</summary>
    [Fact]
    public void The_header_run_sh_writes_uses_keys_the_exporter_accepts()
    {
        var keys = UpstreamConfigKeys.Load(Path.Combine(Folder, UpstreamConfigKeys.FileName));
        var header = HeaderKey().Matches(File.ReadAllText(Path.Combine(Folder, "run.sh"))).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("hostPort", header);
        var document = new Dictionary<object, object?>();
        foreach (var key in header)
        {
            document[key] = "value";
        }

        Assert.Empty(keys.Violations(document));
    }

    private sealed record Rule(string Pattern, string? Name, string? Type);

    private sealed record Exported(int Rule, string Name);

    private static IEnumerable<Rule> Rules() =>
        ((List<object?>)Yaml.Load(Path.Combine(Folder, "kafka-broker-rules.yml"))["rules"]!).Cast<Dictionary<object, object?>>()
            .Select(r => new Rule(r["pattern"]!.ToString()!, r.TryGetValue("name", out var n) ? n?.ToString() : null, r.TryGetValue("type", out var t) ? t?.ToString() : null));

    private static List<Exported> Export() => Export([.. Rules()]);

    /// <summary>What the exporter would export from the listed beans: the first matching rule names each attribute.</summary>
    private static List<Exported> Export(IReadOnlyList<Rule> rules)
    {
        var compiled = rules.Select(r => new Regex($"^.*(?:{r.Pattern}).*$", RegexOptions.CultureInvariant)).ToList();
        var exported = new List<Exported>();
        foreach (var text in BeanAttributes())
        {
            for (var i = 0; i < rules.Count; i++)
            {
                var match = compiled[i].Match(text);
                if (!match.Success)
                {
                    continue;
                }

                var name = SafeName(match.Result(rules[i].Name ?? "")).ToLowerInvariant();
                if (rules[i].Type == "COUNTER" && !name.EndsWith("_total", StringComparison.Ordinal))
                {
                    name += "_total";
                }

                exported.Add(new Exported(i, name));
                break;
            }
        }

        return exported;
    }

    /// <summary>Each attribute of each listed bean as the exporter writes it before matching rules.</summary>
    public static IEnumerable<string> BeanAttributes()
    {
        var beans = (List<object?>)Yaml.Load(Path.Combine(Folder, "kafka-mbeans.yml"))["mbeans"]!;
        foreach (var bean in beans.Cast<Dictionary<object, object?>>())
        {
            var objectName = bean["name"]!.ToString()!;
            var colon = objectName.IndexOf(':');
            var prefix = $"{objectName[..colon]}<{string.Join(", ", objectName[(colon + 1)..].Split(','))}>";
            var kind = bean.TryGetValue("kind", out var k) ? k?.ToString() : null;
            var attributes = kind switch
            {
                "gauge" => [("Value", "1.0")],
                "meter" => MeterAttributes.Select(a => (a, "1.0")),
                "histogram" => HistogramAttributes.Select(a => (a, "1.0")),
                "timer" => HistogramAttributes.Concat(MeterAttributes.Skip(1)).Select(a => (a, "1.0")),
                _ => bean.Map("attributes").Select(a => (a.Key.ToString()!, a.Value)).SelectMany(Flatten),
            };
            foreach (var (attribute, value) in attributes)
            {
                yield return attribute.StartsWith('<') ? $"{prefix}{attribute}: {value}" : $"{prefix}<>{attribute}: {value}";
            }
        }
    }

    /// <summary>A composite attribute (a map of values) becomes one line per item: <c>&lt;Attribute&gt;key</c>.</summary>
    private static IEnumerable<(string, string)> Flatten((string Name, object? Value) attribute) =>
        attribute.Value is Dictionary<object, object?> composite
            ? composite.Select(item => ($"<{attribute.Name}>{item.Key}", Number(item.Value)))
            : [(attribute.Name, Number(attribute.Value))];

    private static string Number(object? value) =>
        double.TryParse(value?.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number.ToString("0.0##############", CultureInfo.InvariantCulture)
            : value?.ToString() ?? "";

    private static string SafeName(string name) => Regex.Replace(name, "[^a-zA-Z0-9:_]", "_");

    [GeneratedRegex(@"printf '([A-Za-z]+):", RegexOptions.Multiline)]
    private static partial Regex HeaderKey();
}
