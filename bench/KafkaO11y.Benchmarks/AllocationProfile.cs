using System.Globalization;
using System.Text;

namespace KafkaO11y.Benchmarks;

/// <summary>What one variant's measurement allocated, by type, as the runtime's allocation ticks sampled it.</summary>
internal sealed record AllocationProfile(Operation Operation, Variant Variant, int Messages, IReadOnlyDictionary<string, long> BytesByType)
{
    private const int TypesShown = 15;

    /// <summary>Bytes per message of a type; 0 where the sample did not see it.</summary>
    public double PerMessage(string type) => BytesByType.GetValueOrDefault(type) / (double)Messages;

    /// <summary>Per operation, the types that allocate most per message in any variant, bare first; empty without profiles.</summary>
    public static string Render(IReadOnlyList<AllocationProfile> profiles, int valueSize)
    {
        if (profiles.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Allocations by type ({Report.SizeName(valueSize)} values, one profiled round of {profiles[0].Messages:N0} messages per variant, not timed): bytes per message, from the runtime's allocation ticks (one about every 100 KB allocated, naming the type that crossed it), so a sample of the whole process, exporter included.");
        foreach (var operation in profiles.Select(p => p.Operation).Distinct())
        {
            var ofOperation = profiles.Where(p => p.Operation == operation).ToList();
            var types = ofOperation.SelectMany(p => p.BytesByType.Keys).Distinct()
                .OrderByDescending(type => ofOperation.Max(p => p.PerMessage(type) - ofOperation[0].PerMessage(type)))
                .Take(TypesShown);
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {operation.Name()}: type | {string.Join(" | ", ofOperation.Select(p => p.Variant.Name))} |");
            text.AppendLine($"| --- |{string.Concat(ofOperation.Select(_ => " ---: |"))}");
            foreach (var type in types)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| `{type}` | {string.Join(" | ", ofOperation.Select(p => p.PerMessage(type).ToString("N0", CultureInfo.InvariantCulture)))} |");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"| all types | {string.Join(" | ", ofOperation.Select(p => (p.BytesByType.Values.Sum() / (double)p.Messages).ToString("N0", CultureInfo.InvariantCulture)))} |");
        }

        return text.ToString();
    }
}
