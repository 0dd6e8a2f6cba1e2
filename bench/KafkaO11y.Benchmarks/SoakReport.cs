using System.Text;

namespace KafkaO11y.Benchmarks;

/// <summary>The soak's report (Markdown): the account of every message, the faults, and the services' memory.</summary>
internal static class SoakReport
{
    public static string Render(SoakOptions options, int seed, TimeSpan loadTime, TimeSpan drained, SoakAccount account,
        IReadOnlyList<string> faults, IReadOnlyList<Incarnation> producers, IReadOnlyList<Incarnation> consumers, long redelivered,
        SoakRequests requests, Func<string, long> startOf, IReadOnlyDictionary<int, long> minHeadroom)
    {
        var text = new StringBuilder();
        text.AppendLine($"## Soak: {loadTime.TotalSeconds:F0} s at {options.Rate:N0} msg/s, a fault every {options.FaultEvery} s (seed {seed})");
        text.AppendLine();
        text.AppendLine($"3 brokers (replication factor 3), topics of 12 partitions, the real Producer and Consumer (instrumented), one poison message a second. After the load the Consumer drained the backlog in {drained.TotalSeconds:F1} s.");
        text.AppendLine();
        text.AppendLine("| Account | Messages |");
        text.AppendLine("|---|---:|");
        text.AppendLine($"| accepted (202) | {account.Accepted:N0} |");
        text.AppendLine($"| poison accepted (200) | {account.Poison:N0} |");
        text.AppendLine($"| refused (503: Kafka did not acknowledge in time) | {requests.Refused:N0} |");
        text.AppendLine($"| cut off (no answer: the Producer was killed or not yet back) | {requests.CutOff:N0} |");
        text.AppendLine($"| not sent (256 requests already waiting) | {requests.NotSent:N0} |");
        text.AppendLine($"| accepted or poison, found at the offset their answer named | {account.AtTheirOffset:N0} |");
        text.AppendLine($"| in the topic without a 202 (the Producer died after Kafka had them) | {account.InTopicNotAccepted:N0} |");
        text.AppendLine($"| duplicates in the topic (same id twice) | {account.TopicDuplicates:N0} |");
        text.AppendLine($"| poison dead-lettered | {account.DeadLettered:N0} |");
        text.AppendLine($"| extra dead-letter copies (a poison message dead-lettered again after a crash) | {account.DeadLetterCopies:N0} |");
        var processed = consumers.Sum(c => c.Stats?.Processed ?? 0);
        var duplicates = consumers.Sum(c => c.Stats?.Duplicates ?? 0);
        text.AppendLine($"| processed, summed over {consumers.Count} Consumer run(s) (a killed one's last count) | {processed:N0} |");
        text.AppendLine($"| processed again after a crash (since the last commit, estimated at each kill) | {redelivered:N0} |");
        text.AppendLine($"| duplicates the Consumer recognised (and skipped; counted in processed) | {duplicates:N0} |");
        text.AppendLine($"| processed once: processed less both of the above (compare: accepted + in the topic without a 202 = {account.Accepted + account.InTopicNotAccepted:N0}) | {processed - redelivered - duplicates:N0} |");
        text.AppendLine($"| **lost** | **{account.Lost:N0}** |");
        text.AppendLine();
        text.AppendLine("Lost: an accepted message not at its offset, one the group's commits never passed, a poison message not in the dead-letter topic, or a message the broker deleted before the Consumer got to it.");
        text.AppendLine();
        text.AppendLine($"The embedded broker keeps only the last 5 MiB of each partition (librdkafka's mock cluster). Closest it came to deleting what the Consumer had not done yet, per partition (messages of headroom; below 0 is a loss): {(minHeadroom.Count == 0 ? "it never deleted anything" : string.Join(", ", minHeadroom.OrderBy(h => h.Key).Select(h => $"{h.Key}: {h.Value:N0}")))}.");
        text.AppendLine();
        text.AppendLine("| Service | Runs | RSS at start (MiB) | RSS at end (MiB) | Peak RSS, any run (MiB) | Bound (MiB) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, runs) in new[] { ("Producer", producers), ("Consumer", consumers) })
        {
            var start = startOf(name);
            text.AppendLine($"| {name} | {runs.Count} | {Mib(start)} | {Mib(runs[^1].End)} | {Mib(runs.Max(r => r.Peak))} | {(start == long.MaxValue ? "-" : $"{start * SoakBenchmark.MemoryBound / 1048576.0:F1}")} |");
        }

        text.AppendLine();
        text.AppendLine($"RSS at start: 5 s after the first run started. Bound: {SoakBenchmark.MemoryBound}x that; every run's peak must stay under it.");
        text.AppendLine();
        text.AppendLine("Faults:");
        text.AppendLine();
        text.AppendLine("```");
        foreach (var fault in faults)
        {
            text.AppendLine(fault);
        }

        text.AppendLine("```");
        return text.ToString();
    }

    private static string Mib(long bytes) => bytes is 0 or long.MaxValue ? "-" : $"{bytes / 1048576.0:F1}";
}
