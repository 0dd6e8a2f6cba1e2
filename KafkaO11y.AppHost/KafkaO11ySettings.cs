using KafkaO11y.AppHost.EmbeddedKafka;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost;

/// <summary>How Kafka is provided.</summary>
public enum KafkaMode
{
    /// <summary>librdkafka's mock cluster inside the AppHost: no container runtime needed.</summary>
    Embedded,
}

/// <summary>
/// The AppHost's own settings, from the <c>KafkaO11y</c> configuration section (command line
/// <c>--KafkaO11y:Mode=Embedded</c>, environment <c>KafkaO11y__Kafka__Brokers=3</c>, appsettings).
/// </summary>
public sealed record KafkaO11ySettings(KafkaMode Mode, int Brokers, int ConsumerReplicas)
{
    public const string Section = "KafkaO11y";

    /// <summary>The topic the Producer writes and the Consumer reads.</summary>
    public static readonly KafkaTopic MessagesTopic = new("messages", Partitions: 3);

    /// <summary>Where messages that cannot be processed go, with the reason.</summary>
    public static readonly KafkaTopic DeadLetterTopic = new($"{MessagesTopic.Name}.dlq", Partitions: 3);

    public static IReadOnlyList<KafkaTopic> Topics { get; } = [MessagesTopic, DeadLetterTopic];

    public static KafkaO11ySettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var modeText = section["Mode"] ?? nameof(KafkaMode.Embedded);
        if (!Enum.TryParse<KafkaMode>(modeText, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            throw new InvalidOperationException(
                $"{Section}:Mode is '{modeText}'; expected one of: {string.Join(", ", Enum.GetNames<KafkaMode>())}.");
        }

        return new KafkaO11ySettings(
            mode,
            Brokers: PositiveInt(section, "Kafka:Brokers", defaultValue: 1),
            ConsumerReplicas: PositiveInt(section, "Consumer:Replicas", defaultValue: 1));
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
