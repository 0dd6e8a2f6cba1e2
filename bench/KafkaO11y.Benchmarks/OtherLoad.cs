using System.Globalization;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// How much of the machine's CPU other processes used while a measurement ran (from /proc/stat,
/// less this process and the services it started). On 2 cores a build or a test run next to the
/// benchmark moves latency tails and memory more than the instrumentation does: the report says so.
/// </summary>
internal readonly record struct OtherLoad(long Busy, long Total, long Ours)
{
    /// <summary>Now, counting the CPU time of this process and of <paramref name="ourChildren"/> as ours; null off Linux.</summary>
    public static OtherLoad? Take(params int[] ourChildren)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..9]
                .Select(ticks => long.Parse(ticks, CultureInfo.InvariantCulture)).ToArray();
            var busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7];
            var total = busy + cpu[3] + cpu[4];
            return new OtherLoad(busy, total, ProcessTicks("self") + ourChildren.Sum(pid => ProcessTicks(pid.ToString(CultureInfo.InvariantCulture))));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Share of the machine's CPU (all cores) that others used from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static double? Share(OtherLoad? from, OtherLoad? to) =>
        from is { } start && to is { } end && end.Total > start.Total
            ? Math.Max(0, (double)(end.Busy - start.Busy - (end.Ours - start.Ours)) / (end.Total - start.Total))
            : null;

    // utime + stime, fields 14 and 15 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
    private static long ProcessTicks(string pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
