using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Contracts;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost;

/// <summary>How Kafka and the observability stack are provided.</summary>
public enum KafkaMode
{
    /// <summary>Containers when a container runtime answers, otherwise Embedded.</summary>
    Auto,

    /// <summary>Kafka, the JMX exporter and the Grafana stack in containers (Docker or Podman).</summary>
    Containers,

    /// <summary>librdkafka's mock cluster inside the AppHost: no container runtime needed.</summary>
    Embedded,
}

/// <summary>
/// The AppHost's own settings, from the <c>KafkaO11y</c> configuration section (command line
/// <c>--KafkaO11y:Mode=Embedded</c>, environment <c>KafkaO11y__Kafka__Brokers=3</c>, appsettings),
/// and <c>ConnectionStrings:kafka</c> for an external cluster.
/// </summary>
/// <param name="Mode">The mode in effect (never <see cref="KafkaMode.Auto"/>).</param>
/// <param name="RequestedMode">The mode configuration asked for: <see cref="KafkaMode.Auto"/> when the AppHost chose.</param>
/// <param name="ModeReason">Why that mode: the setting, or what Auto found.</param>
/// <param name="Brokers">Brokers of the cluster the AppHost runs.</param>
/// <param name="ConsumerReplicas">Consumer instances in the group.</param>
/// <param name="KafkaDataVolume">Keep the brokers' data in a named volume across runs (Containers mode).</param>
/// <param name="ExternalKafka">Bootstrap servers of a cluster the AppHost does not run, if configured.</param>
/// <param name="KafkaUi">Run Kafka UI beside Kafka (Containers mode).</param>
/// <param name="ContainersProblem">When Containers mode was asked for: what will keep its containers from starting (no engine, an image that cannot be pulled), or null.</param>
public sealed record KafkaO11ySettings(
    KafkaMode Mode, KafkaMode RequestedMode, string ModeReason, int Brokers, int ConsumerReplicas, bool KafkaDataVolume, string? ExternalKafka, bool KafkaUi = true,
    string? ContainersProblem = null)
{
    public const string Section = "KafkaO11y";

    /// <summary>Auto found no usable container runtime and runs Embedded instead: the stack is smaller than the user may expect.</summary>
    public bool FellBackToEmbedded => RequestedMode == KafkaMode.Auto && Mode == KafkaMode.Embedded;

    /// <summary>The topic the Producer writes and the Consumer reads.</summary>
    public static readonly KafkaTopic MessagesTopic = new(MessageTopics.Messages, MessageTopics.MessagesPartitions);

    /// <summary>Where messages that cannot be processed go, with the reason.</summary>
    public static readonly KafkaTopic DeadLetterTopic = new(MessageTopics.DeadLetterOf(MessageTopics.Messages), MessageTopics.DeadLetterPartitions);

    public static IReadOnlyList<KafkaTopic> Topics { get; } = [MessagesTopic, DeadLetterTopic];

    /// <param name="configuration">The AppHost's configuration.</param>
    /// <param name="containerRuntimeAnswers">Asked in Auto and Containers modes: why Containers mode cannot run here, or null when it can.</param>
    public static KafkaO11ySettings From(IConfiguration configuration, Func<string?> containerRuntimeAnswers)
    {
        var section = configuration.GetSection(Section);
        var modeText = section["Mode"] ?? nameof(KafkaMode.Auto);
        if (!Enum.TryParse<KafkaMode>(modeText, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            throw new InvalidOperationException(
                $"{Section}:Mode is '{modeText}'; expected one of: {string.Join(", ", Enum.GetNames<KafkaMode>())}.");
        }

        var external = configuration.GetConnectionString("kafka");
        if (string.IsNullOrWhiteSpace(external))
        {
            external = null;
        }

        var requested = mode;
        var reason = $"{Section}:Mode={mode}";
        string? containersProblem = null;
        if (mode == KafkaMode.Containers)
        {
            // Asked for, so it runs; the user is told at start what will keep containers from starting.
            containersProblem = containerRuntimeAnswers();
        }
        else if (mode == KafkaMode.Auto)
        {
            var problem = containerRuntimeAnswers();
            (mode, reason) = problem is null
                ? (KafkaMode.Containers, "Auto: a container runtime answered")
                : (KafkaMode.Embedded, $"Auto: {problem}");
        }

        if (mode == KafkaMode.Embedded && external is not null)
        {
            throw new InvalidOperationException(
                "ConnectionStrings:kafka names an external cluster, which Embedded mode does not use: " +
                $"remove it, or use {Section}:Mode=Containers.");
        }

        return new KafkaO11ySettings(
            mode,
            requested,
            reason,
            Brokers: PositiveInt(section, "Kafka:Brokers", defaultValue: 1),
            ConsumerReplicas: PositiveInt(section, "Consumer:Replicas", defaultValue: 1),
            KafkaDataVolume: section.GetValue("Kafka:DataVolume", defaultValue: false),
            ExternalKafka: external,
            KafkaUi: section.GetValue("KafkaUi", defaultValue: true),
            ContainersProblem: containersProblem);
    }

    private static int PositiveInt(IConfigurationSection section, string key, int defaultValue)
    {
        var text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        return int.TryParse(text, out var value) && value >= 1
            ? value
            : throw new InvalidOperationException($"{Section}:{key} is '{text}'; expected a whole number of at least 1.");
    }
}
