using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Kafka;

/// <summary>
/// Takes librdkafka's statistics documents off its callback thread and turns them into metrics in
/// the background. Confluent.Kafka rethrows a handler's exception from the client's next call (a
/// consumer's <c>Consume</c>), so the handler only queues; a document that cannot be read is logged
/// and skipped here, where it cannot stop a client.
/// </summary>
public sealed partial class KafkaStatisticsCollector(KafkaStatisticsMetrics metrics, ILogger<KafkaStatisticsCollector> logger) : BackgroundService
{
    // A few intervals' worth per client; if the reader falls behind, the oldest documents go (a newer one replaces them anyway).
    private readonly Channel<(KafkaClientInfo Client, string Json)> _documents = Channel.CreateBounded<(KafkaClientInfo, string)>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>librdkafka's statistics handler: queues the document, never blocks, never throws.</summary>
    public void Receive(KafkaClientInfo client, string json) => _documents.Writer.TryWrite((client, json));

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (client, json) in _documents.Reader.ReadAllAsync(stoppingToken))
        {
            LibrdkafkaStatistics statistics;
            try
            {
                statistics = LibrdkafkaStatistics.Parse(json);
            }
            catch (JsonException e)
            {
                LogUnreadable(client.ClientId, e.Message);
                continue;
            }

            metrics.Update(statistics, client);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a librdkafka statistics document of client {ClientId} that could not be read: {Reason}")]
    private partial void LogUnreadable(string? clientId, string reason);
}
