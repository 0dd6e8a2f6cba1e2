using KafkaO11y.Benchmarks;

BenchmarkOptions? options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (options is null)
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

try
{
    // The in-process parts share one set of OpenTelemetry providers, alive for the whole run as in a service.
    BenchmarkTelemetry? telemetry = options.Parts.Any(part => part is BenchmarkPart.Throughput or BenchmarkPart.Latency)
        ? await BenchmarkTelemetry.StartAsync()
        : null;
    await using (telemetry)
    {
        foreach (var part in options.Parts)
        {
            var report = part switch
            {
                BenchmarkPart.Throughput => await ThroughputBenchmark.RunAsync(options, telemetry!),
                BenchmarkPart.Latency => await LatencyBenchmark.RunAsync(options, telemetry!),
                BenchmarkPart.Memory => await ServiceMemoryBenchmark.RunAsync(options),
                BenchmarkPart.Soak => await SoakBenchmark.RunAsync(options.Soak),
                _ => throw new ArgumentOutOfRangeException(nameof(options), part, "Unknown part."),
            };
            Console.WriteLine(report);
        }
    }
}
catch (BenchmarkFailedException e)
{
    Console.Error.WriteLine();
    Console.Error.WriteLine($"BENCHMARK FAILED: {e.Message}");
    return 1;
}
catch (Exception e)
{
    Console.Error.WriteLine();
    Console.Error.WriteLine($"BENCHMARK FAILED: {e}");
    return 1;
}

return 0;
