namespace KafkaO11y.Benchmarks;

/// <summary>The parts of the program, in the order a full run goes through them.</summary>
internal enum BenchmarkPart
{
    /// <summary>Producer and consumer throughput at saturation, in this process.</summary>
    Throughput,

    /// <summary>End-to-end latency percentiles at fixed rates, in this process.</summary>
    Latency,

    /// <summary>Peak memory of the real Producer and Consumer services, run as child processes.</summary>
    Memory,

    /// <summary>
    /// The real services under steady load for minutes while faults come and go, then an exact
    /// account of every message. Not part of a full run: asked for with <c>--only soak</c>.
    /// </summary>
    Soak,
}

/// <summary>
/// The command line: <c>[--only throughput|latency|memory] [--rounds N] [--messages M] [--sampling R,R,...] [--quick]
/// [--latency-seconds S] [--memory-seconds S] [--memory-rate R]</c>.
/// </summary>
/// <param name="Rounds">Throughput: measured rounds.</param>
/// <param name="Messages">Throughput: messages per measurement.</param>
/// <param name="WarmupMessages">Throughput: messages of the warm-up round.</param>
/// <param name="LatencyRounds">Latency: measured rounds.</param>
/// <param name="LatencySeconds">Latency: length of one measurement's send schedule, its warm-up included.</param>
/// <param name="MemoryRounds">Memory: measured rounds.</param>
/// <param name="MemorySeconds">Memory: how long the Producer's generator sends at <paramref name="MemoryRate"/>.</param>
/// <param name="MemoryRate">Memory: messages per second the Producer's generator sends.</param>
/// <param name="Sampling">Throughput: the sampling ratios the full variant is measured at, each a variant of its own.</param>
/// <param name="ChartPath">Throughput: where to write the sampling curve as an SVG chart; null for none.</param>
/// <param name="Soak">Soak: how long, how fast, how often a fault, and the seed of their order.</param>
/// <param name="Allocations">Throughput: after the measured rounds, one round that profiles what each variant allocates, by type.</param>
internal sealed record BenchmarkOptions(
    IReadOnlyList<BenchmarkPart> Parts,
    IReadOnlyList<double> Sampling,
    string? ChartPath,
    int Rounds,
    int Messages,
    int WarmupMessages,
    bool Quick,
    int LatencyRounds,
    double LatencySeconds,
    int MemoryRounds,
    int MemorySeconds,
    int MemoryRate,
    SoakOptions Soak,
    bool Allocations = false)
{
    public const int DefaultRounds = 7;
    public const int DefaultMessages = 200_000;
    public const int QuickRounds = 2;
    public const int QuickMessages = 20_000;

    /// <summary>Nothing, 1 %, 10 % (what production services commonly sample) and every span.</summary>
    public static readonly IReadOnlyList<double> DefaultSampling = [0, 0.01, 0.1, 1];

    public const int DefaultLatencyRounds = 5;
    public const double DefaultLatencySeconds = 5;
    public const int QuickLatencyRounds = 2;
    public const double QuickLatencySeconds = 1.5;

    public const int DefaultMemoryRounds = 3;
    public const int DefaultMemorySeconds = 20;
    public const int QuickMemoryRounds = 1;
    public const int QuickMemorySeconds = 5;
    public const int DefaultMemoryRate = 1_000;

    /// <summary>The Producer's generator takes at most this rate (<c>GeneratorOptions.MaxMessagesPerSecond</c>).</summary>
    public const int MaxMemoryRate = 10_000;

    public const int DefaultSoakSeconds = 600;
    public const int DefaultSoakRate = 1_000;
    public const int DefaultFaultEvery = 30;
    public const int MaxSoakRate = 5_000;

    public const string Usage = """
        KafkaO11y.Benchmarks: what the Kafka instrumentation costs, bare vs propagation only vs full.

          dotnet run -c Release --project bench/KafkaO11y.Benchmarks -- [--only PART] [--rounds N] [--quick]
              [--messages M] [--sampling R,R,...] [--chart FILE] [--allocations] [--latency-seconds S] [--memory-seconds S] [--memory-rate R]

          --only PART           throughput, latency, memory or soak; without it the first three run, in that order
          --rounds N            measured rounds of every part that runs; every round runs every variant once,
                                in a rotating order (defaults: throughput 7, latency 5, memory 3)
          --quick               smoke run: throughput 2 rounds of 20000 messages, latency 2 rounds of 1.5 s,
                                memory 1 round of 5 s (any option given as well still applies)

          throughput            producer and consumer at saturation, 100 B and 1 KiB, in this process
          --messages M          messages per measurement (default 200000; after a warm-up round of
                                min(M, 20000)); throughput only
          --sampling R,R,...    the sampling ratios (0 to 1) of the full variant, each measured as a variant of its
                                own beside bare and propagation only (default 0,0.01,0.1,1): a parent-based
                                trace-id-ratio sampler, as OTEL_TRACES_SAMPLER=parentbased_traceidratio sets up
          --chart FILE          also draw the sampling curve (full / propagation only by ratio) as an SVG chart into FILE
          --allocations         then one more round, 100 B, that samples what each variant allocates by type
                                (the runtime's allocation ticks) and reports bytes per message per type

          latency               end to end (scheduled send until processed) at 1000 and 10000 msg/s, in this process;
                                bare, propagation only and full with every span recorded
          --latency-seconds S   send schedule of one measurement, its first 0.5 s of warm-up included (default 5)

          memory                peak resident memory of the real Producer and Consumer services (child processes),
                                instrumented (OTLP to a local sink) and not (OTEL_SDK_DISABLED=true)
          --memory-seconds S    how long the Producer's generator sends per measurement (default 20)
          --memory-rate R       messages per second it sends (default 1000, at most 10000)

          soak                  the real services on a 3-broker embedded cluster under steady load while a fault
                                (consumer or producer killed, a broker down and its leaderships moved, the dead-letter
                                topic failing) comes and is undone, then an account of every message; fails on any loss
          --soak-seconds S      how long the load runs (default 600)
          --soak-rate R         messages per second sent to POST /messages (default 1000, at most 5000), plus one
                                poison message a second
          --fault-every S       seconds between faults (default 30); the kinds come in a shuffled order, each once a round
          --seed N              seed of that order (default: random, printed)

        The report (Markdown) goes to stdout, progress to stderr; the exit code is not 0 when a
        measurement failed.
        """;

    /// <summary>The options, or null when the command line asks for help; throws on a bad command line.</summary>
    public static BenchmarkOptions? Parse(string[] args)
    {
        BenchmarkPart? only = null;
        int? rounds = null;
        int? messages = null;
        double? latencySeconds = null;
        int? memorySeconds = null;
        int? memoryRate = null;
        var soak = new SoakOptions(DefaultSoakSeconds, DefaultSoakRate, DefaultFaultEvery, Seed: null);
        IReadOnlyList<double> sampling = DefaultSampling;
        string? chartPath = null;
        var quick = false;
        var allocations = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--only":
                    only = Part(args, ref i);
                    break;
                case "--rounds":
                    rounds = Positive(args, ref i, minimum: 1);
                    break;
                case "--messages":
                    messages = Positive(args, ref i, minimum: 1_000);
                    break;
                case "--latency-seconds":
                    latencySeconds = Seconds(args, ref i, minimum: 1);
                    break;
                case "--memory-seconds":
                    memorySeconds = Positive(args, ref i, minimum: 2);
                    break;
                case "--memory-rate":
                    memoryRate = Positive(args, ref i, minimum: 1, maximum: MaxMemoryRate);
                    break;
                case "--soak-seconds":
                    soak = soak with { Seconds = Positive(args, ref i, minimum: 10, maximum: 86_400) };
                    break;
                case "--soak-rate":
                    soak = soak with { Rate = Positive(args, ref i, minimum: 1, maximum: MaxSoakRate) };
                    break;
                case "--fault-every":
                    soak = soak with { FaultEvery = Positive(args, ref i, minimum: 5) };
                    break;
                case "--seed":
                    soak = soak with { Seed = Positive(args, ref i, minimum: 0) };
                    break;
                case "--sampling":
                    sampling = Ratios(args, ref i);
                    break;
                case "--chart":
                    chartPath = ++i < args.Length && !args[i].StartsWith("--", StringComparison.Ordinal)
                        ? args[i]
                        : throw new ArgumentException("--chart needs the path of the SVG file to write.");
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--allocations":
                    allocations = true;
                    break;
                case "-h" or "--help" or "-?":
                    return null;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        var messageCount = messages ?? (quick ? QuickMessages : DefaultMessages);
        return new BenchmarkOptions(
            only is { } part ? [part] : [BenchmarkPart.Throughput, BenchmarkPart.Latency, BenchmarkPart.Memory],
            sampling,
            chartPath,
            rounds ?? (quick ? QuickRounds : DefaultRounds),
            messageCount,
            // The warm-up round (not reported) brings JIT, tiering and connections to steady state.
            WarmupMessages: Math.Min(messageCount, quick ? 2_000 : 20_000),
            quick,
            rounds ?? (quick ? QuickLatencyRounds : DefaultLatencyRounds),
            latencySeconds ?? (quick ? QuickLatencySeconds : DefaultLatencySeconds),
            rounds ?? (quick ? QuickMemoryRounds : DefaultMemoryRounds),
            memorySeconds ?? (quick ? QuickMemorySeconds : DefaultMemorySeconds),
            memoryRate ?? DefaultMemoryRate,
            soak,
            allocations);
    }

    private static BenchmarkPart Part(string[] args, ref int i)
    {
        var name = args[i];
        if (++i < args.Length && Enum.TryParse<BenchmarkPart>(args[i], ignoreCase: true, out var part)
            && Enum.IsDefined(part) && !int.TryParse(args[i], out _))
        {
            return part;
        }

        throw new ArgumentException($"{name} needs one of: throughput, latency, memory, soak.");
    }

    private static int Positive(string[] args, ref int i, int minimum, int maximum = int.MaxValue)
    {
        var name = args[i];
        if (++i >= args.Length || !int.TryParse(args[i], out var value) || value < minimum || value > maximum)
        {
            throw new ArgumentException(maximum == int.MaxValue
                ? $"{name} needs a whole number of at least {minimum}."
                : $"{name} needs a whole number from {minimum} to {maximum}.");
        }

        return value;
    }

    private static double[] Ratios(string[] args, ref int i)
    {
        var name = args[i];
        double[]? ratios = null;
        if (++i < args.Length)
        {
            ratios = [.. args[i].Split(',').Select(text =>
                double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ratio)
                && ratio is >= 0 and <= 1 ? ratio : double.NaN)];
        }

        if (ratios is null || ratios.Length == 0 || ratios.Any(double.IsNaN) || ratios.Distinct().Count() != ratios.Length)
        {
            throw new ArgumentException($"{name} needs sampling ratios from 0 to 1, each once, separated by commas (as 0,0.01,0.1,1).");
        }

        return ratios;
    }

    private static double Seconds(string[] args, ref int i, double minimum)
    {
        var name = args[i];
        if (++i >= args.Length
            || !double.TryParse(args[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || !(value >= minimum) || value > 3_600)
        {
            throw new ArgumentException($"{name} needs a number of seconds from {minimum} to 3600.");
        }

        return value;
    }
}

/// <param name="Seconds">How long the load runs.</param>
/// <param name="Rate">Messages per second sent to the Producer's POST /messages.</param>
/// <param name="FaultEvery">Seconds between the starts of two faults.</param>
/// <param name="Seed">Seed of the faults' order; null: a random one, printed in the report.</param>
internal sealed record SoakOptions(int Seconds, int Rate, int FaultEvery, int? Seed);
