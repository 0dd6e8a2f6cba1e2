using System.Globalization;

namespace KafkaO11y.Benchmarks;

internal enum VariantKind
{
    /// <summary>Confluent.Kafka alone.</summary>
    Bare,

    /// <summary>Only the W3C <c>traceparent</c> header: written per message, or extracted per message.</summary>
    PropagationOnly,

    /// <summary>This project's instrumentation, metrics and logs on, exporters attached, spans sampled at <see cref="Variant.Sampling"/>.</summary>
    Full,
}

/// <summary>What runs around each message.</summary>
/// <param name="Sampling">
/// Full: the ratio of a parent-based trace-id-ratio sampler (<c>parentbased_traceidratio</c>), 1 for
/// every span recorded. A producer's sends are new traces, so the ratio decides; a consumer's spans
/// follow the sampled flag in each message's <c>traceparent</c>, which the benchmark writes as a
/// producer sampling at the same ratio would have.
/// </param>
internal readonly record struct Variant(VariantKind Kind, double Sampling)
{
    public static readonly Variant Bare = new(VariantKind.Bare, 0);
    public static readonly Variant PropagationOnly = new(VariantKind.PropagationOnly, 0);

    /// <summary>The instrumentation with every span recorded.</summary>
    public static readonly Variant Full = Sampled(1);

    public static Variant Sampled(double ratio) => new(VariantKind.Full, ratio);

    public bool IsInstrumented => Kind == VariantKind.Full;

    /// <summary>Bare, propagation only and full with every span recorded: the latency part's variants.</summary>
    public static readonly IReadOnlyList<Variant> Standard = [Bare, PropagationOnly, Full];

    /// <summary>Bare, propagation only, then full at each ratio: the throughput part's variants.</summary>
    public static IReadOnlyList<Variant> WithSampling(IEnumerable<double> ratios) => [Bare, PropagationOnly, .. ratios.Select(Sampled)];

    public string Name => Kind switch
    {
        VariantKind.Bare => "bare",
        VariantKind.PropagationOnly => "propagation only",
        VariantKind.Full => $"full ({SamplingName(Sampling)})",
        _ => throw new InvalidOperationException($"Unknown variant kind {Kind}."),
    };

    public static string SamplingName(double ratio) => string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0.##} %");

    public override string ToString() => Name;

    /// <summary>Round <paramref name="round"/> starts with a different variant, so no variant always runs first or last.</summary>
    public static IEnumerable<Variant> InOrderOfRound(IReadOnlyList<Variant> variants, int round) =>
        Enumerable.Range(0, variants.Count).Select(i => variants[(i + round) % variants.Count]);
}

internal enum Operation
{
    Produce,

    /// <summary>Each message processed on its own, in a process span of its own.</summary>
    Consume,

    /// <summary>Messages processed in lists of <see cref="Operations.BatchSize"/>, one process span per list.</summary>
    ConsumeBatch,
}

internal static class Operations
{
    public const int BatchSize = 100;

    public static readonly Operation[] All = [Operation.Produce, Operation.Consume, Operation.ConsumeBatch];

    public static string Name(this Operation operation) => operation switch
    {
        Operation.ConsumeBatch => $"Consume, batches of {BatchSize}",
        _ => operation.ToString(),
    };
}
