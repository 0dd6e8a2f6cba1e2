using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace KafkaO11y.Benchmarks;

/// <summary>Every reported measurement, by operation, value size, variant and round.</summary>
internal sealed class Results
{
    private readonly Dictionary<(Operation, int, Variant), SortedDictionary<int, Measurement>> _measurements = [];

    public void Add(Operation operation, int valueSize, Variant variant, int round, Measurement measurement)
    {
        var key = (operation, valueSize, variant);
        if (!_measurements.TryGetValue(key, out var rounds))
        {
            _measurements[key] = rounds = [];
        }

        rounds[round] = measurement;
    }

    public IReadOnlyList<Measurement> Of(Operation operation, int valueSize, Variant variant) =>
        [.. _measurements[(operation, valueSize, variant)].Values];

    /// <summary>Full's rate over another variant's, round by round (the two ran minutes, not hours, apart).</summary>
    public IReadOnlyList<double> RatiosPerRound(Operation operation, int valueSize, Variant over)
    {
        var full = _measurements[(operation, valueSize, Variant.Full)];
        var other = _measurements[(operation, valueSize, over)];
        return [.. full.Keys.Select(round => full[round].MessagesPerSecond / other[round].MessagesPerSecond)];
    }

    public IEnumerable<Measurement> All => _measurements.Values.SelectMany(rounds => rounds.Values);
}

internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(BenchmarkOptions options, int[] valueSizes, IReadOnlyDictionary<int, int> consumePartitions,
        Results results, BenchmarkTelemetry telemetry, TimeSpan wallTime)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(Invariant, $"KafkaO11y instrumentation throughput, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC: median of {options.Rounds} round(s)");
        text.AppendLine();
        text.AppendLine(Invariant, $"Machine:    {Machine()}");
        text.AppendLine(Invariant, $"Runtime:    {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, Confluent.Kafka {typeof(IProducer<,>).Assembly.GetName().Version?.ToString(3)}, librdkafka {Library.VersionString}");
        text.AppendLine(Invariant, $"Kafka:      1 embedded broker (librdkafka mock cluster) in this process; produce topics 3 partitions, consume topics {string.Join(" / ", valueSizes.Select(s => $"{consumePartitions[s]} ({s} B)"))} partitions");
        text.AppendLine(Invariant, $"Parameters: {options.Rounds} round(s) x {options.Messages:N0} messages per measurement, after a warm-up round of {options.WarmupMessages:N0}{(options.Quick ? " (--quick)" : "")}; variants alternate round by round, in rotating order");
        text.AppendLine(Invariant, $"Producer:   idempotent, acks=all, linger.ms=5, Produce with a delivery handler then Flush; key: a message id; value: 100 B or 1 KiB");
        text.AppendLine(Invariant, $"Consumer:   fresh group per measurement, Consume + StoreOffset, auto commit; clock from the first message to the last");
        text.AppendLine();

        text.AppendLine("| Operation | Value | Bare (msg/s) | Propagation only (msg/s) | Full (msg/s) | Full / bare | Full / propagation only |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var operation in new[] { Operation.Produce, Operation.Consume })
        {
            foreach (var size in valueSizes)
            {
                var bare = Median(results.Of(operation, size, Variant.Bare).Select(m => m.MessagesPerSecond));
                var propagation = Median(results.Of(operation, size, Variant.PropagationOnly).Select(m => m.MessagesPerSecond));
                var full = Median(results.Of(operation, size, Variant.Full).Select(m => m.MessagesPerSecond));
                text.AppendLine(Invariant,
                    $"| {operation} | {SizeName(size)} | {bare:N0} | {propagation:N0} | {full:N0} | {Ratio(full, bare, results.RatiosPerRound(operation, size, Variant.Bare))} | {Ratio(full, propagation, results.RatiosPerRound(operation, size, Variant.PropagationOnly))} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Ratios: of the medians; in brackets the lowest and highest ratio of two measurements of the same round.");
        text.AppendLine();
        text.AppendLine("| Operation | Value | Variant | Median (msg/s) | Lowest - highest (msg/s) | Allocated (B/msg, median) | GC pauses (share of time, median) | Gen2 GCs (all rounds) |");
        text.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var operation in new[] { Operation.Produce, Operation.Consume })
        {
            foreach (var size in valueSizes)
            {
                foreach (var variant in VariantNames.All)
                {
                    var measurements = results.Of(operation, size, variant);
                    var rates = measurements.Select(m => m.MessagesPerSecond).ToArray();
                    text.AppendLine(Invariant,
                        $"| {operation} | {SizeName(size)} | {variant.Name()} | {Median(rates):N0} | {rates.Min():N0} - {rates.Max():N0} | {Median(measurements.Select(m => m.AllocatedBytesPerMessage)):N0} | {Median(measurements.Select(m => m.GcPauseShare)):P1} | {measurements.Sum(m => m.Gen2Collections)} |");
                }
            }
        }

        var expectedSpans = results.All.Sum(m => m.ExpectedSpans);
        var exportedSpans = results.All.Sum(m => m.ExportedSpans);
        text.AppendLine();
        text.AppendLine(Invariant,
            $"Full variant, measured rounds: {exportedSpans:N0} spans exported of {expectedSpans:N0} started ({Math.Max(0, expectedSpans - exportedSpans):N0} dropped by the batch processor); whole run: {telemetry.Metrics.Exported:N0} metric streams and {telemetry.Logs.Exported:N0} log records exported.");
        text.AppendLine(Invariant,
            $"Producer queue full (queue.buffering.max.messages, default 100,000): backed off {results.All.Sum(m => m.QueueFullBackoffs):N0} time(s) in the measured rounds.");
        text.AppendLine(Invariant, $"Wall time: {wallTime.TotalSeconds:F0} s.");
        return text.ToString();
    }

    private static string Ratio(double numerator, double denominator, IReadOnlyList<double> perRound) =>
        string.Create(Invariant, $"{numerator / denominator:F2} ({perRound.Min():F2}-{perRound.Max():F2})");

    private static string SizeName(int size) => size % 1024 == 0 ? $"{size / 1024} KiB" : $"{size} B";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    internal static string Machine()
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
}
