using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using KafkaO11y.Tests.Observability;

namespace KafkaO11y.Tests.Benchmarks;

/// <summary>
/// The benchmark program that docs/performance.md documents runs, measures every variant and prints
/// its medians and ratios (a --quick run: its figures are not judged, only that each was measured).
/// </summary>
[Collection(BenchmarkProgramCollection.Name)]
public sealed class BenchmarkProgramTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private const string Rate = @"[1-9][\d,]*";          // 1,130,539
    private const string Ratio = @"\d\.\d\d \(\d\.\d\d-\d+\.\d\d\)"; // 0.72 (0.42-0.83)
    private const string Millis = @"\d+\.\d\d";         // 15.83
    private const string MiB = @"[1-9]\d*\.\d";         // 158.5

    /// <summary>Per part: a line the report must have for every variant, with a measured figure in each cell.</summary>
    public static TheoryData<string, string[]> Reports => new()
    {
        {
            "throughput",
            [
                .. new[] { "Produce", "Consume", "Consume, batches of 100" }.SelectMany(operation => new[] { "bare", "propagation only", @"full \(0 %\)", @"full \(1 %\)", @"full \(10 %\)", @"full \(100 %\)" }
                    .Select(variant => $@"^\| {operation} \| 100 B \| {variant} \| {Rate} \| {Rate} - {Rate} \| {Rate} \| {Rate} \({Rate} - {Rate}\) \|")),
                $@"^\| Produce \| 100 B \| {Rate} \| {Rate} \|$",
                // The sampling curve: a row per ratio, with both ratios, the time and bytes above propagation only and the CPU above bare.
                .. new[] { "0 %", "1 %", "10 %", "100 %" }.SelectMany(sampled => new[] { "Produce", "Consume", "Consume, batches of 100" }
                    .Select(operation => $@"^\| {operation} \| 1 KiB \| {sampled} \| {Rate} \| {Ratio} \| {Ratio} \| -?[\d,]+ \| -?[\d,]+ \| -?[\d,]+ \|$")),
                // Every full variant recorded spans as its ratio says (the program checks it and fails otherwise).
                @"^\| Produce \| 100 B \| full \(0 %\) \| .* \| 0 / 0 \|$",
                $@"^\| Consume \| 100 B \| full \(100 %\) \| .* \| {Rate} / {Rate} \|$",
                // A batch's span is recorded once for its hundred messages.
                $@"^\| Consume, batches of 100 \| 100 B \| full \(100 %\) \| .* \| {Rate} / {Rate} \|$",
            ]
        },
        {
            "latency",
            [
                .. new[] { "1,000", "10,000" }.SelectMany(rate => new[] { "bare", "propagation only", @"full \(100 %\)" }
                    .Select(variant => $@"^\| {rate} \| {variant} \| {Millis} \| {Millis} \| {Millis} \| {Millis} \| {Millis} \|")),
                // A difference that rounds to zero prints without a sign.
                $@"^\| 1,000 \| [+-]?{Millis} \| [+-]?{Millis} \| [+-]?{Millis} \| [+-]?{Millis} \|$",
            ]
        },
        {
            "memory",
            [
                $@"^\| Producer \| peak RSS \(VmHWM\) \| {MiB} \| {MiB} \| \d\.\d\d ",
                $@"^\| Consumer \| peak RSS \(VmHWM\) \| {MiB} \| {MiB} \| \d\.\d\d ",
                $@"^\| Consumer \| [1-9][\d,]* \| ",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task A_quick_run_measures_every_variant_and_prints_its_ratios(string part, string[] expectedLines)
    {
        // The memory part asks the generator for a rate it must hold to 90 %: a low one, so that a
        // busy machine cannot make it miss.
        // The throughput part also draws its sampling curve.
        var chart = Path.Combine(Path.GetTempPath(), $"sampling-{Guid.NewGuid():N}.svg");
        string[] extra = part switch
        {
            "memory" => ["--memory-rate", "200"],
            "throughput" => ["--chart", chart],
            _ => [],
        };
        var (exitCode, output, errors) = await RunAsync(["--only", part, "--quick", .. extra]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}.\n{errors}");
        if (part == "throughput")
        {
            AssertSamplingChart(chart);
        }

        var lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        foreach (var expected in expectedLines)
        {
            Assert.True(lines.Any(line => Regex.IsMatch(line, expected)), $"No line of the report matches {expected}:\n{output}");
        }

        Assert.DoesNotContain("NaN", output);
        Assert.DoesNotContain("Infinity", output);
    }

    /// <summary>
    /// A minute of the soak (docs/reliability.md quotes a full one): five faults, so every kind
    /// comes at least once, and an account of every message in which nothing may be lost.
    /// </summary>
    [Fact]
    public async Task A_one_minute_soak_with_a_fault_every_ten_seconds_loses_nothing_and_says_so()
    {
        var (exitCode, output, errors) = await RunAsync(["--only", "soak", "--soak-seconds", "60", "--soak-rate", "200", "--fault-every", "10"]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}.\n{output}\n{errors}");
        Assert.Matches(@"\| accepted \(202\) \| [1-9][\d,]* \|", output);
        Assert.Matches(@"\| poison dead-lettered \| [1-9][\d,]* \|", output);
        Assert.Contains("| **lost** | **0** |", output);
        foreach (var fault in new[] { "ConsumerKilled", "ProducerKilled", "BrokerDown", "DeadLetterTopicFailing" })
        {
            Assert.Contains($" s  {fault}: ", output);
        }

        Assert.Matches(@"\| Consumer \| [2-9] \| [1-9]\d*\.\d \| [1-9]\d*\.\d \| [1-9]\d*\.\d \|", output);
    }

    /// <summary>An SVG with a line per operation and value size, a point per sampling ratio on each, and the ratios on the axis.</summary>
    private static void AssertSamplingChart(string path)
    {
        try
        {
            var svg = XDocument.Load(path);
            XNamespace ns = "http://www.w3.org/2000/svg";
            var lines = svg.Descendants(ns + "polyline").ToList();
            Assert.Equal(4, lines.Count);
            Assert.All(lines, line => Assert.Equal(4, line.Attribute("points")!.Value.Split(' ').Length));
            Assert.Equal(16, svg.Descendants(ns + "circle").Count());
            var texts = svg.Descendants(ns + "text").Select(text => text.Value).ToList();
            Assert.Contains("0 %", texts);
            Assert.Contains("100 %", texts);
            Assert.Contains("Consume 1 KiB", texts);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("0,0.1,0.1")]
    [InlineData("ten")]
    [InlineData("")]
    public async Task A_bad_sampling_list_is_refused_saying_what_it_needs(string ratios)
    {
        var (exitCode, _, errors) = await RunAsync(["--only", "throughput", "--sampling", ratios]);

        Assert.Equal(2, exitCode);
        Assert.Contains("--sampling needs sampling ratios from 0 to 1, each once", errors);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string[] arguments)
    {
        var configuration = typeof(BenchmarkProgramTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var program = Repository.PathOf($"bench/KafkaO11y.Benchmarks/bin/{configuration}/net10.0/KafkaO11y.Benchmarks.dll");
        Assert.True(File.Exists(program), $"{program} was not built.");

        return await ChildProcess.RunAsync("dotnet", [program, .. arguments], timeout: Timeout);
    }

}

/// <summary>
/// The benchmark loads both cores and starts services of its own: it runs alone, after the tests
/// that run in parallel, so that neither slows the other into a timeout.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchmarkProgramCollection
{
    public const string Name = "Benchmark program";
}
