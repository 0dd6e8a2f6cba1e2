using KafkaO11y.Kafka;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost;

/// <summary>
/// The AppHost's own settings: the <c>KafkaO11y</c> configuration section (command line
/// <c>--KafkaO11y:Mode=Embedded</c>, environment <c>KafkaO11y__Kafka__Brokers=3</c>, appsettings.json),
/// bound and checked once, at start. A setting it does not know, or a value it cannot take, stops the
/// AppHost with a message that names it.
/// </summary>
public sealed class KafkaO11yOptions
{
    public const string Section = "KafkaO11y";

    /// <summary>How Kafka and the observability stack are provided.</summary>
    public KafkaMode Mode { get; set; } = KafkaMode.Auto;

    public KafkaOptions Kafka { get; set; } = new();

    public ConsumerOptions Consumer { get; set; } = new();

    /// <summary>Run Kafka UI beside Kafka (Containers mode).</summary>
    public bool KafkaUi { get; set; } = true;

    /// <summary>The Prometheus 3 Embedded mode runs, when not the first found (docs/configuration.md).</summary>
    public LocalProgramOptions Prometheus { get; set; } = new();

    /// <summary>The Alertmanager Embedded mode runs, when not the first found.</summary>
    public LocalProgramOptions Alertmanager { get; set; } = new();

    public static KafkaO11yOptions From(IConfiguration configuration)
    {
        KafkaO11yOptions options;
        try
        {
            options = configuration.GetSection(Section).Get<KafkaO11yOptions>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new();
        }
        catch (InvalidOperationException error)
        {
            throw Refused(error.Message, error);
        }

        if (!Enum.IsDefined(options.Mode))
        {
            throw Refused($"{Section}:Mode is '{options.Mode}'; expected one of: {string.Join(", ", Enum.GetNames<KafkaMode>())}.");
        }

        AtLeastOne(options.Kafka.Brokers, "Kafka:Brokers");
        AtLeastOne(options.Consumer.Replicas, "Consumer:Replicas");
        AtLeastOne(options.Consumer.BatchSize, "Consumer:BatchSize");
        if (!Enum.IsDefined(options.Consumer.TraceShape))
        {
            throw Refused($"{Section}:Consumer:TraceShape is '{options.Consumer.TraceShape}'; expected one of: {string.Join(", ", Enum.GetNames<KafkaTraceShape>())}.");
        }
        return options;
    }

    private static void AtLeastOne(int value, string key)
    {
        if (value < 1)
        {
            throw Refused($"{Section}:{key} is '{value}'; expected a whole number of at least 1.");
        }
    }

    private static InvalidOperationException Refused(string why, Exception? inner = null) =>
        new($"The {Section} settings cannot be used: {why}", inner);
}

public sealed class KafkaOptions
{
    /// <summary>Brokers of the cluster the AppHost runs.</summary>
    public int Brokers { get; set; } = 1;

    /// <summary>Keep the brokers' data in a named volume across runs (Containers mode).</summary>
    public bool DataVolume { get; set; }

    /// <summary>Confluent.Kafka client properties for an external cluster (SASL/SSL), by name; never the password.</summary>
    public Dictionary<string, string> Client { get; set; } = [];
}

public sealed class ConsumerOptions
{
    /// <summary>Consumer instances in the group.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Messages processed together in one batch span (the Consumer's <c>Processing:BatchSize</c>); 1: each in a span of its own.</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>Where the Consumer's process spans sit (its <c>Kafka:TraceShape</c>).</summary>
    public KafkaTraceShape TraceShape { get; set; } = KafkaTraceShape.ContinueProducerTrace;
}

public sealed class LocalProgramOptions
{
    /// <summary>The program's path; unset: the PATH, then .tools/bin.</summary>
    public string? Path { get; set; }
}
