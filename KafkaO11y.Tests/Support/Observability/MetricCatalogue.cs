using System.Text.RegularExpressions;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The metric names only Containers mode has, with where each comes from: the JMX exporter's rule
/// catalogue (<c>observability/jmx-exporter/METRICS.md</c>) and one reviewed file for the rest
/// (<c>observability/prometheus/metrics-catalogue.yml</c>: the collector, its kafka_metrics
/// receiver, Tempo's generator, Loki). Everything else a dashboard or rule names, the real
/// Prometheus of Embedded mode must hold (RealPrometheusTests): no hand-kept list of it.
/// </summary>
public static partial class MetricCatalogue
{
    /// <summary>Name to where it comes from.</summary>
    public static IReadOnlyDictionary<string, string> ContainersOnly { get; } = Build();

    public static string JmxCatalogue => Path.Combine(Repository.Observability, "jmx-exporter", "METRICS.md");

    public static string ReviewedCatalogue => Path.Combine(Repository.Observability, "prometheus", "metrics-catalogue.yml");

    private static Dictionary<string, string> Build()
    {
        var names = new Dictionary<string, string>();
        foreach (var name in FromJmxCatalogue())
        {
            names.TryAdd(name, "the JMX exporter (jmx-exporter/METRICS.md)");
        }

        foreach (var (group, value) in Yaml.Load(ReviewedCatalogue))
        {
            var entry = (Dictionary<object, object?>)value!;
            foreach (var name in entry.Strings("metrics"))
            {
                names.TryAdd(name, $"{group} (metrics-catalogue.yml)");
            }
        }

        return names;
    }

    /// <summary>
    /// Names in backticks in the first column of the tables of METRICS.md's sections 2 (the rules)
    /// and 3 (the exporter itself): that file's stated parsing contract. Section 2 alone with
    /// <paramref name="rulesOnly"/>.
    /// </summary>
    public static IReadOnlyList<string> FromJmxCatalogue(bool rulesOnly = false)
    {
        var names = new List<string>();
        var section = "";
        foreach (var line in File.ReadLines(JmxCatalogue))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Split('.')[0];
            }
            else if ((section == "2" || (section == "3" && !rulesOnly)) && FirstColumnName().Match(line) is { Success: true } match)
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    [GeneratedRegex(@"^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|")]
    private static partial Regex FirstColumnName();
}
