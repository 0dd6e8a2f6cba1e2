using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace KafkaO11y.Benchmarks;

/// <summary>What every report of the program says the same way: the machine, the runtime, medians.</summary>
internal static class ReportFacts
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Cores, CPU model, memory and operating system.</summary>
    public static string Machine()
    {
        string? cpu = null;
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(Invariant,
            $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {memory:F0} GiB, {RuntimeInformation.OSDescription}");
    }

    /// <summary>.NET, the garbage collector and the Kafka client of this process.</summary>
    public static string Runtime() =>
        $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, Confluent.Kafka {typeof(IProducer<,>).Assembly.GetName().Version?.ToString(3)}, librdkafka {Library.VersionString}";
}
