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

    /// <summary>One variant's rate over another's, round by round (the two ran minutes, not hours, apart).</summary>
    public IReadOnlyList<double> RatiosPerRound(Operation operation, int valueSize, Variant variant, Variant over)
    {
        var numerator = _measurements[(operation, valueSize, variant)];
        var denominator = _measurements[(operation, valueSize, over)];
        return [.. numerator.Keys.Select(round => numerator[round].MessagesPerSecond / denominator[round].MessagesPerSecond)];
    }

    public double MedianRate(Operation operation, int valueSize, Variant variant) =>
        ReportFacts.Median(Of(operation, valueSize, variant).Select(m => m.MessagesPerSecond));

    public double MedianAllocated(Operation operation, int valueSize, Variant variant) =>
        ReportFacts.Median(Of(operation, valueSize, variant).Select(m => m.AllocatedBytesPerMessage));

    public double MedianCpu(Operation operation, int valueSize, Variant variant) =>
        ReportFacts.Median(Of(operation, valueSize, variant).Select(m => m.CpuNanosecondsPerMessage));

    public IEnumerable<Measurement> All => _measurements.Values.SelectMany(rounds => rounds.Values);
}

internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(BenchmarkOptions options, IReadOnlyList<Variant> variants, int[] valueSizes,
        IReadOnlyDictionary<int, int> consumePartitions, Results results, TimeSpan wallTime)
    {
        var sampled = variants.Where(v => v.IsInstrumented).ToArray();
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(Invariant, $"KafkaO11y instrumentation throughput, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC: median of {options.Rounds} round(s)");
        text.AppendLine();
        text.AppendLine(Invariant, $"Machine:    {ReportFacts.Machine()}");
        text.AppendLine(Invariant, $"Runtime:    {ReportFacts.Runtime()}");
        text.AppendLine(Invariant, $"Kafka:      1 embedded broker (librdkafka mock cluster) in this process; produce topics 3 partitions, consume topics {string.Join(" / ", valueSizes.Select(s => $"{consumePartitions[s]} ({s} B)"))} partitions");
        text.AppendLine(Invariant, $"Parameters: {options.Rounds} round(s) x {options.Messages:N0} messages per measurement, after a warm-up round of {options.WarmupMessages:N0}{(options.Quick ? " (--quick)" : "")}; variants alternate round by round, in rotating order");
        text.AppendLine(Invariant, $"Sampling:   full variants sampled by parentbased_traceidratio at {string.Join(", ", sampled.Select(v => Variant.SamplingName(v.Sampling)))}: a producer's sends start traces (the ratio decides), a consumer's spans follow the sampled flag the pre-produced messages carry (written as that ratio decides)");
        text.AppendLine(Invariant, $"Producer:   idempotent, acks=all, linger.ms=5, Produce with a delivery handler then Flush; key: a message id; value: 100 B or 1 KiB");
        text.AppendLine(Invariant, $"Consumer:   fresh group per measurement, Consume + StoreOffset, auto commit; clock from the first message to the last; in batches: lists of {Operations.BatchSize} messages, one ProcessBatchAsync each");
        text.AppendLine();

        text.AppendLine("| Operation | Value | Bare (msg/s) | Propagation only (msg/s) |");
        text.AppendLine("| --- | --- | ---: | ---: |");
        foreach (var (operation, size) in Cells(valueSizes))
        {
            text.AppendLine(Invariant,
                $"| {operation.Name()} | {SizeName(size)} | {results.MedianRate(operation, size, Variant.Bare):N0} | {results.MedianRate(operation, size, Variant.PropagationOnly):N0} |");
        }

        text.AppendLine();
        text.AppendLine("The sampling curve: the full variant at each sampling ratio, against propagation only (the header alone) and bare.");
        text.AppendLine();
        text.AppendLine("| Operation | Value | Sampled | Full (msg/s) | Full / propagation only | Full / bare | Time above propagation only (ns/msg) | Allocated above propagation only (B/msg) | CPU above bare (ns/msg) |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (operation, size) in Cells(valueSizes))
        {
            var bare = results.MedianRate(operation, size, Variant.Bare);
            var propagation = results.MedianRate(operation, size, Variant.PropagationOnly);
            foreach (var variant in sampled)
            {
                var full = results.MedianRate(operation, size, variant);
                var extraBytes = results.MedianAllocated(operation, size, variant) - results.MedianAllocated(operation, size, Variant.PropagationOnly);
                var extraCpu = results.MedianCpu(operation, size, variant) - results.MedianCpu(operation, size, Variant.Bare);
                text.AppendLine(Invariant,
                    $"| {operation.Name()} | {SizeName(size)} | {Variant.SamplingName(variant.Sampling)} | {full:N0} | {Ratio(full, propagation, results.RatiosPerRound(operation, size, variant, Variant.PropagationOnly))} | {Ratio(full, bare, results.RatiosPerRound(operation, size, variant, Variant.Bare))} | {1e9 / full - 1e9 / propagation:N0} | {extraBytes:N0} | {extraCpu:N0} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Ratios: of the medians; in brackets the lowest and highest ratio of two measurements of the same round. Time above propagation only:");
        text.AppendLine("wall-clock time per message at saturation, 1/full - 1/propagation only, on 2 cores shared with the broker. CPU: the whole process's");
        text.AppendLine("processor time per message (every thread: client, broker, exporter, garbage collector), medians, full minus bare.");
        text.AppendLine();
        text.AppendLine("| Operation | Value | Variant | Median (msg/s) | Lowest - highest (msg/s) | Allocated (B/msg, median) | CPU (ns/msg, median, lowest - highest) | GC pauses (share of time, median) | Gen2 GCs (all rounds) | Spans recorded / exported (all rounds) |");
        text.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (operation, size) in Cells(valueSizes))
        {
            foreach (var variant in variants)
            {
                var measurements = results.Of(operation, size, variant);
                var rates = measurements.Select(m => m.MessagesPerSecond).ToArray();
                var cpu = measurements.Select(m => m.CpuNanosecondsPerMessage).ToArray();
                var spans = variant.IsInstrumented ? $"{measurements.Sum(m => m.RecordedSpans):N0} / {measurements.Sum(m => m.ExportedSpans):N0}" : "-";
                text.AppendLine(Invariant,
                    $"| {operation.Name()} | {SizeName(size)} | {variant.Name} | {ReportFacts.Median(rates):N0} | {rates.Min():N0} - {rates.Max():N0} | {ReportFacts.Median(measurements.Select(m => m.AllocatedBytesPerMessage)):N0} | {ReportFacts.Median(cpu):N0} ({cpu.Min():N0} - {cpu.Max():N0}) | {ReportFacts.Median(measurements.Select(m => m.GcPauseShare)):P1} | {measurements.Sum(m => m.Gen2Collections)} | {spans} |");
            }
        }

        var recordedSpans = results.All.Sum(m => m.RecordedSpans);
        var exportedSpans = results.All.Sum(m => m.ExportedSpans);
        text.AppendLine();
        text.AppendLine(Invariant,
            $"Spans, measured rounds: {recordedSpans:N0} recorded, {exportedSpans:N0} exported: {Math.Max(0, recordedSpans - exportedSpans):N0} dropped by the batch processor, whose queue (OTEL_BSP_MAX_QUEUE_SIZE, default 2,048) was full when they ended: at saturation spans end faster than one export thread takes them.");
        text.AppendLine(Invariant,
            $"Producer queue full (queue.buffering.max.messages, default 100,000): backed off {results.All.Sum(m => m.QueueFullBackoffs):N0} time(s) in the measured rounds.");
        text.AppendLine(Invariant, $"Wall time: {wallTime.TotalSeconds:F0} s.");
        return text.ToString();
    }

    private static IEnumerable<(Operation Operation, int Size)> Cells(int[] valueSizes) =>
        Operations.All.SelectMany(operation => valueSizes.Select(size => (operation, size)));

    private static string Ratio(double numerator, double denominator, IReadOnlyList<double> perRound) =>
        string.Create(Invariant, $"{numerator / denominator:F2} ({perRound.Min():F2}-{perRound.Max():F2})");

    internal static string SizeName(int size) => size % 1024 == 0 ? $"{size / 1024} KiB" : $"{size} B";
}
