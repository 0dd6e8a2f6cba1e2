using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>What the instrumentation needs to know of a client that Kafka's client API does not tell.</summary>
/// <param name="ClientId">The configured <c>client.id</c>.</param>
/// <param name="ServerAddress">Host of the first bootstrap server.</param>
/// <param name="ServerPort">Port of the first bootstrap server.</param>
/// <param name="ConsumerGroup">The consumer's <c>group.id</c>; null for a producer.</param>
public sealed record KafkaClientInfo(string? ClientId, string? ServerAddress, int? ServerPort, string? ConsumerGroup)
{
    /// <summary>A client the instrumentation knows nothing of: its spans go without these attributes.</summary>
    public static readonly KafkaClientInfo Unknown = new(null, null, null, null);

    /// <summary><see cref="ServerPort"/> boxed once, as a span attribute value, rather than once per message.</summary>
    internal object? ServerPortTag { get; } = ServerPort;

    /// <summary>What a client's configuration tells: its id, its first bootstrap server and, for a consumer, its group.</summary>
    public static KafkaClientInfo From(ClientConfig config)
    {
        var first = config.BootstrapServers?
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault();
        string? host = first;
        int? port = null;

        // "host:port"; an IPv6 host is bracketed, so the last colon separates the port.
        var colon = first?.LastIndexOf(':') ?? -1;
        if (first is not null && colon > 0 && int.TryParse(first.AsSpan(colon + 1), out var parsedPort))
        {
            host = first[..colon].Trim('[', ']');
            port = parsedPort;
        }

        return new KafkaClientInfo(config.ClientId, host, port, (config as ConsumerConfig)?.GroupId);
    }
}
