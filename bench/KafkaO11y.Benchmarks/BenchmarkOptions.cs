namespace KafkaO11y.Benchmarks;

/// <summary>The command line: <c>[--rounds N] [--messages M] [--quick]</c>.</summary>
internal sealed record BenchmarkOptions(int Rounds, int Messages, int WarmupMessages, bool Quick)
{
    public const int DefaultRounds = 7;
    public const int DefaultMessages = 200_000;
    public const int QuickRounds = 2;
    public const int QuickMessages = 20_000;

    public const string Usage = """
        KafkaO11y.Benchmarks: throughput of the Kafka instrumentation against an embedded broker.

          dotnet run -c Release --project bench/KafkaO11y.Benchmarks -- [--rounds N] [--messages M] [--quick]

          --rounds N     measured rounds; every round runs every variant once, in a rotating order (default 7)
          --messages M   messages per measurement (default 200000)
          --quick        smoke run: 2 rounds of 20000 messages (--rounds and --messages still apply)
        """;

    /// <summary>The options, or null when the command line asks for help; throws on a bad command line.</summary>
    public static BenchmarkOptions? Parse(string[] args)
    {
        int? rounds = null;
        int? messages = null;
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds":
                    rounds = Positive(args, ref i, minimum: 1);
                    break;
                case "--messages":
                    messages = Positive(args, ref i, minimum: 1_000);
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "-h" or "--help" or "-?":
                    return null;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        var messageCount = messages ?? (quick ? QuickMessages : DefaultMessages);
        return new BenchmarkOptions(
            rounds ?? (quick ? QuickRounds : DefaultRounds),
            messageCount,
            // The warm-up round (not reported) brings JIT, tiering and connections to steady state.
            WarmupMessages: Math.Min(messageCount, quick ? 2_000 : 20_000),
            quick);
    }

    private static int Positive(string[] args, ref int i, int minimum)
    {
        var name = args[i];
        if (++i >= args.Length || !int.TryParse(args[i], out var value) || value < minimum)
        {
            throw new ArgumentException($"{name} needs a whole number of at least {minimum}.");
        }

        return value;
    }
}
