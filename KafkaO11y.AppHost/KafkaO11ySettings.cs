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
/// What this run of the AppHost does, decided once at start from its options
/// (<see cref="KafkaO11yOptions"/>) and <c>ConnectionStrings:kafka</c> for an external cluster.
/// </summary>
/// <param name="Options">The <c>KafkaO11y</c> section, bound and checked.</param>
/// <param name="Mode">The mode in effect (never <see cref="KafkaMode.Auto"/>).</param>
/// <param name="ModeReason">Why that mode: the setting, or what Auto found.</param>
/// <param name="ExternalKafka">Bootstrap servers of a cluster the AppHost does not run, if configured.</param>
/// <param name="ContainersProblem">When Containers mode was asked for: what will keep its containers from starting (no engine, an image that cannot be pulled), or null.</param>
public sealed record KafkaO11ySettings(KafkaO11yOptions Options, KafkaMode Mode, string ModeReason, string? ExternalKafka, string? ContainersProblem)
{
    /// <summary>The mode configuration asked for: <see cref="KafkaMode.Auto"/> when the AppHost chose.</summary>
    public KafkaMode RequestedMode => Options.Mode;

    public int Brokers => Options.Kafka.Brokers;

    public int ConsumerReplicas => Options.Consumer.Replicas;

    public bool KafkaDataVolume => Options.Kafka.DataVolume;

    public bool KafkaUi => Options.KafkaUi;

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
        var options = KafkaO11yOptions.From(configuration);
        var external = configuration.GetConnectionString("kafka");
        if (string.IsNullOrWhiteSpace(external))
        {
            external = null;
        }

        var mode = options.Mode;
        var reason = $"{KafkaO11yOptions.Section}:Mode={mode}";
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
                $"remove it, or use {KafkaO11yOptions.Section}:Mode=Containers.");
        }

        return new KafkaO11ySettings(options, mode, reason, external, containersProblem);
    }
}
