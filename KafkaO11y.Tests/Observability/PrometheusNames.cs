using System.Diagnostics.Metrics;
using System.Text;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// How Prometheus's OTLP endpoint names an OpenTelemetry instrument with the translation strategy
/// our Prometheus uses (<c>UnderscoreEscapingWithSuffixes</c>): characters outside
/// <c>[a-zA-Z0-9_:]</c> become <c>_</c>, the unit becomes a suffix (<c>s</c> -&gt; <c>seconds</c>,
/// <c>By</c> -&gt; <c>bytes</c>, <c>1</c> -&gt; <c>ratio</c> for gauges, <c>{...}</c> dropped),
/// monotonic counters end in <c>_total</c>, histograms are <c>_bucket</c>, <c>_sum</c>, <c>_count</c>.
/// </summary>
public static class PrometheusNames
{
    private static readonly Dictionary<string, string> UnitWords = new()
    {
        ["s"] = "seconds", ["ms"] = "milliseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes", ["MiBy"] = "mebibytes",
        ["%"] = "percent", ["Hz"] = "hertz",
    };

    public static IEnumerable<string> Of(Instrument instrument)
    {
        var name = Escape(instrument.Name);
        var unit = UnitSuffix(instrument);
        if (unit is not null && !name.EndsWith($"_{unit}", StringComparison.Ordinal))
        {
            name = $"{name}_{unit}";
        }

        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Histogram<>))
        {
            return [$"{name}_bucket", $"{name}_sum", $"{name}_count"];
        }

        var monotonic = type == typeof(Counter<>) || type == typeof(ObservableCounter<>);
        return [monotonic ? $"{name}_total" : name];
    }

    private static string? UnitSuffix(Instrument instrument)
    {
        var unit = instrument.Unit;
        if (string.IsNullOrEmpty(unit) || (unit.StartsWith('{') && unit.EndsWith('}')))
        {
            return null;
        }

        var isGauge = instrument.GetType().GetGenericTypeDefinition() is var t
            && (t == typeof(ObservableGauge<>) || t == typeof(Gauge<>));
        if (unit == "1")
        {
            return isGauge ? "ratio" : null;
        }

        return UnitWords.TryGetValue(unit, out var word) ? word : Escape(unit);
    }

    private static string Escape(string name)
    {
        var escaped = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            escaped.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        return escaped.ToString();
    }
}
