namespace KafkaO11y.Benchmarks;

/// <summary>What runs around each message.</summary>
internal enum Variant
{
    /// <summary>Confluent.Kafka alone.</summary>
    Bare,

    /// <summary>Only the W3C <c>traceparent</c> header: written per message, or extracted per message.</summary>
    PropagationOnly,

    /// <summary>This project's instrumentation with every span sampled, metrics and logs on, exporters attached.</summary>
    Full,
}

internal enum Operation
{
    Produce,
    Consume,
}

internal static class VariantNames
{
    public static readonly Variant[] All = [Variant.Bare, Variant.PropagationOnly, Variant.Full];

    public static string Name(this Variant variant) => variant switch
    {
        Variant.Bare => "bare",
        Variant.PropagationOnly => "propagation only",
        Variant.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    /// <summary>Round <paramref name="round"/> starts with a different variant, so no variant always runs first or last.</summary>
    public static IEnumerable<Variant> InOrderOfRound(int round) =>
        Enumerable.Range(0, All.Length).Select(i => All[(i + round) % All.Length]);
}
