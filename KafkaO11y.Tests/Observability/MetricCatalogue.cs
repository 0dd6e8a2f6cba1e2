using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// Every metric name Prometheus can hold in Containers mode, from its sources of truth: the
/// instruments this repository's code registers (translated as Prometheus's OTLP endpoint does),
/// the JMX exporter's rule catalogue (<c>observability/jmx-exporter/METRICS.md</c>), and one
/// reviewed file for what cannot be derived here (<c>observability/prometheus/metrics-catalogue.yml</c>:
/// the collector, its kafka_metrics receiver, Tempo's generator, the stack's own metrics).
/// </summary>
public static partial class MetricCatalogue
{
    public static IReadOnlyDictionary<string, string> All { get; } = Build();

    public static string JmxCatalogue => Path.Combine(Repository.Observability, "jmx-exporter", "METRICS.md");

    public static string ReviewedCatalogue => Path.Combine(Repository.Observability, "prometheus", "metrics-catalogue.yml");

    /// <summary>Name to where it comes from.</summary>
    private static Dictionary<string, string> Build()
    {
        var names = new Dictionary<string, string>();
        foreach (var name in FromCode())
        {
            names.TryAdd(name, $"instrument of meter {KafkaTelemetry.MeterName}");
        }

        foreach (var name in FromJmxCatalogue())
        {
            names.TryAdd(name, "JMX exporter rules (METRICS.md)");
        }

        var reviewed = Yaml.Load(ReviewedCatalogue);
        foreach (var (group, value) in reviewed)
        {
            var entry = (Dictionary<object, object?>)value!;
            foreach (var name in entry.Strings("metrics"))
            {
                names.TryAdd(name, $"{group} ({entry["source"]})");
            }
        }

        return names;
    }

    /// <summary>The Prometheus names of every instrument the Kafka integration registers.</summary>
    public static IReadOnlyList<string> FromCode()
    {
        // Touching the types creates their static instruments (observable ones included).
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaTelemetry).TypeHandle);
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaStatisticsMetrics).TypeHandle);

        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == KafkaTelemetry.MeterName)
                {
                    lock (instruments)
                    {
                        instruments.Add(instrument);
                    }
                }
            },
        };
        listener.Start();
        return [.. instruments.SelectMany(PrometheusNames.Of).Distinct()];
    }

    /// <summary>
    /// Names in backticks in the first column of the tables of METRICS.md's sections 2 (the rules)
    /// and 3 (the exporter itself): that file's stated parsing contract.
    /// </summary>
    public static IReadOnlyList<string> FromJmxCatalogue()
    {
        var names = new List<string>();
        var section = "";
        foreach (var line in File.ReadLines(JmxCatalogue))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Split('.')[0];
            }
            else if (section is "2" or "3" && FirstColumnName().Match(line) is { Success: true } match)
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    [GeneratedRegex(@"^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|")]
    private static partial Regex FirstColumnName();
}
