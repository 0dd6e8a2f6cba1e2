using Confluent.Kafka;

namespace KafkaO11y.Kafka;

/// <summary>
/// The id of the cluster a client talks to (<c>messaging.kafka.cluster.id</c>), as librdkafka keeps
/// it from the brokers' metadata answers: read without waiting or asking the broker anything, null
/// until a broker has answered, then kept.
/// </summary>
internal sealed class KafkaClusterId
{
    private readonly IClient? _client;
    private string? _id;

    public KafkaClusterId(IClient client) => _client = client;

    /// <summary>An id already known, as a client's is after its first answer (for benchmarks).</summary>
    public KafkaClusterId(string id) => _id = id;

    public string? Id => _id ??= Read();

    private string? Read()
    {
        try
        {
            return _client?.ClusterId(TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
