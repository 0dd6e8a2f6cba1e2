using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace KafkaO11y.Benchmarks;

internal static class LatencyReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The issue's target: the full variant's p99 within 1 ms of bare at 1,000 messages/s.</summary>
    private const int TargetRate = 1_000;
    private const double TargetMilliseconds = 1.0;

    public static string Render(BenchmarkOptions options, LatencyResults results, TimeSpan wallTime)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(Invariant, $"KafkaO11y end-to-end latency at fixed rates, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC: {options.LatencyRounds} round(s), percentiles of all rounds' messages together");
        text.AppendLine();
        text.AppendLine(Invariant, $"Machine:    {ReportFacts.Machine()}");
        text.AppendLine(Invariant, $"Runtime:    {ReportFacts.Runtime()}");
        text.AppendLine("Kafka:      1 embedded broker (librdkafka mock cluster) in this process; a new topic of 3 partitions per measurement");
        text.AppendLine(Invariant, $"Parameters: {options.LatencyRounds} round(s) x {options.LatencySeconds:0.##} s per rate and variant, the first {LatencyBenchmark.Warmup.TotalSeconds:0.#} s of each not recorded, after an unreported warm-up round{(options.Quick ? " (--quick)" : "")}; variants alternate round by round, in rotating order");
        text.AppendLine(Invariant, $"Producer:   idempotent, acks=all, linger.ms=5; message i sent when due at start + i / rate (nanosleep), {LatencyBenchmark.ValueSize} B value, key: a message id");
        text.AppendLine("Consumer:   its own thread, assigned all partitions, fetch.wait.max.ms=10 (as the AppHost sets for embedded Kafka), Consume, handle (full: ProcessAsync around an empty handler; propagation only: Extract), StoreOffset, auto commit");
        text.AppendLine("Latency:    from the message's scheduled send time (not the actual send: no coordinated omission) until the consumer stored its offset");
        text.AppendLine("Floor:      every variant spreads over about 5-15 ms: the producer's linger.ms=5, plus the embedded broker's fetch wait (it answers a fetch that finds no");
        text.AppendLine("            data only after fetch.wait.max.ms=10, and what arrives meanwhile waits for the next fetch); compare the variants, not these values with a real broker");
        text.AppendLine();

        text.AppendLine("| Rate (msg/s) | Variant | p50 (ms) | p95 (ms) | p99 (ms) | p99.9 (ms) | Max (ms) | p99 per round: median (lowest - highest) (ms) | Messages recorded |");
        text.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var rate in LatencyBenchmark.Rates)
        {
            foreach (var variant in Variant.Standard)
            {
                var pooled = results.Pooled(rate, variant, m => m.SortedLatencies);
                var perRoundP99 = results.Of(rate, variant).Select(m => Ms(m.SortedLatencies, 0.99)).ToArray();
                text.AppendLine(Invariant,
                    $"| {rate:N0} | {variant.Name} | {Ms(pooled, 0.50):F2} | {Ms(pooled, 0.95):F2} | {Ms(pooled, 0.99):F2} | {Ms(pooled, 0.999):F2} | {Ms(pooled, 1):F2} | {ReportFacts.Median(perRoundP99):F2} ({perRoundP99.Min():F2} - {perRoundP99.Max():F2}) | {pooled.Length:N0} |");
            }
        }

        text.AppendLine();
        text.AppendLine("| Rate (msg/s) | Full - bare, p50 (ms) | Full - bare, p99 (ms) | Full - propagation only, p50 (ms) | Full - propagation only, p99 (ms) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var rate in LatencyBenchmark.Rates)
        {
            var bare = results.Pooled(rate, Variant.Bare, m => m.SortedLatencies);
            var propagation = results.Pooled(rate, Variant.PropagationOnly, m => m.SortedLatencies);
            var full = results.Pooled(rate, Variant.Full, m => m.SortedLatencies);
            text.AppendLine(Invariant,
                $"| {rate:N0} | {Ms(full, 0.50) - Ms(bare, 0.50):+0.00;-0.00;0.00} | {Ms(full, 0.99) - Ms(bare, 0.99):+0.00;-0.00;0.00} | {Ms(full, 0.50) - Ms(propagation, 0.50):+0.00;-0.00;0.00} | {Ms(full, 0.99) - Ms(propagation, 0.99):+0.00;-0.00;0.00} |");
        }

        var targetDifference = Ms(results.Pooled(TargetRate, Variant.Full, m => m.SortedLatencies), 0.99)
            - Ms(results.Pooled(TargetRate, Variant.Bare, m => m.SortedLatencies), 0.99);
        text.AppendLine();
        text.AppendLine(Invariant,
            $"Target (full p99 within {TargetMilliseconds:0} ms of bare at {TargetRate:N0} msg/s): {(targetDifference <= TargetMilliseconds ? "met" : "NOT met")}, full - bare = {targetDifference:+0.00;-0.00;0.00} ms.");
        text.AppendLine();

        text.AppendLine("| Rate (msg/s) | Variant | Sender behind schedule, p50 / p99 / max (ms) | GC pauses (ms per s, median) | Other processes' CPU (median, highest) | Spans exported / started |");
        text.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var rate in LatencyBenchmark.Rates)
        {
            foreach (var variant in Variant.Standard)
            {
                var measurements = results.Of(rate, variant);
                var lags = results.Pooled(rate, variant, m => m.SortedSendLags);
                var gcPerSecond = measurements.Select(m => m.GcPause.TotalMilliseconds / options.LatencySeconds);
                var spans = variant.IsInstrumented
                    ? string.Create(Invariant, $"{measurements.Sum(m => m.ExportedSpans):N0} / {measurements.Sum(m => m.ExpectedSpans):N0}")
                    : "-";
                text.AppendLine(Invariant,
                    $"| {rate:N0} | {variant.Name} | {Ms(lags, 0.50):F2} / {Ms(lags, 0.99):F2} / {Ms(lags, 1):F2} | {ReportFacts.Median(gcPerSecond):F1} | {OtherCpu(measurements.Select(m => m.OtherCpu))} | {spans} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Percentiles: nearest rank over the sorted latencies of every measured round together. Sender behind schedule: how late the");
        text.AppendLine("sending thread called Produce after a message's due time (part of the latency, not added to it). Other processes' CPU: share of both");
        text.AppendLine("cores that processes other than this one used while a measurement ran (/proc/stat); above a few % the tails are not the instrumentation's alone.");
        text.AppendLine(Invariant, $"Wall time: {wallTime.TotalSeconds:F0} s.");
        return text.ToString();
    }

    /// <summary>"1 %, 35 %": the median and the highest share of the measurements; "-" where /proc/stat is not available.</summary>
    public static string OtherCpu(IEnumerable<double?> shares)
    {
        var known = shares.OfType<double>().ToArray();
        return known.Length == 0 ? "-" : string.Create(Invariant, $"{ReportFacts.Median(known):P0}, {known.Max():P0}");
    }

    private static double Ms(long[] sorted, double percentile) =>
        LatencyBenchmark.Milliseconds(LatencyBenchmark.Percentile(sorted, percentile));

}
