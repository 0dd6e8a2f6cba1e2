using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using KafkaO11y.Tests.Observability;

namespace KafkaO11y.Tests;

/// <summary>
/// The benchmark program that docs/performance.md documents runs, measures every variant and prints
/// its medians and ratios (a --quick run: its figures are not looked at, only that they are there).
/// </summary>
public sealed partial class BenchmarkProgramTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("throughput", "| Produce | 100 B |", "Full / propagation only")]
    [InlineData("latency", "| 1,000 | full |", "Full - bare, p99 (ms)")]
    [InlineData("memory", "| Consumer | peak RSS (VmHWM) |", "Instrumented / uninstrumented")]
    public async Task A_quick_run_prints_every_variant_with_its_ratios(string part, string row, string ratioColumn)
    {
        // The memory part asks the generator for a rate it must hold to 90 %: a low one, so that
        // the other tests running beside it on a small machine cannot make it miss.
        string[] extra = part == "memory" ? ["--memory-rate", "200"] : [];
        var (exitCode, output, errors) = await RunAsync(["--only", part, "--quick", .. extra]);

        Assert.True(exitCode == 0, $"Exit code {exitCode}.\n{errors}");
        Assert.Contains(ratioColumn, output);
        var lines = output.Split('\n').Where(l => l.StartsWith(row, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(FigureOrRatio(), line));
        Assert.DoesNotContain("NaN", output);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string[] arguments)
    {
        var configuration = typeof(BenchmarkProgramTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var program = Repository.PathOf($"bench/KafkaO11y.Benchmarks/bin/{configuration}/net10.0/KafkaO11y.Benchmarks.dll");
        Assert.True(File.Exists(program), $"{program} was not built.");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The benchmark did not finish in {Timeout}.\n{await errors}");
        }

        return (process.ExitCode, await output, await errors);
    }

    // A measured figure in a table cell, e.g. "| 1,130,539 |", "| 0.72 (0.42-0.83) |" or "| 15.83 |".
    [GeneratedRegex(@"\| \d[\d,]*(\.\d+)? ")]
    private static partial Regex FigureOrRatio();
}
