using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// Turns librdkafka's statistics (the JSON document it emits every <c>statistics.interval.ms</c>)
/// into OpenTelemetry metrics: client queue depth, request and byte totals, broker round-trip time,
/// consumer lag per partition and rebalances. The last document of each client is kept and read
/// by observable instruments when metrics are collected.
/// </summary>
public static class KafkaStatisticsMetrics
{
    private static readonly ConcurrentDictionary<string, ClientStatistics> Latest = new();

    static KafkaStatisticsMetrics()
    {
        var meter = KafkaTelemetry.Meter;
        meter.CreateObservableGauge("messaging.kafka.client.queue.messages",
            () => Each(s => s.QueueMessages), "{message}", "Messages waiting in the client's queues (producer: not yet acknowledged).");
        meter.CreateObservableGauge("messaging.kafka.client.queue.size",
            () => Each(s => s.QueueBytes), "By", "Bytes of the messages waiting in the client's queues.");
        meter.CreateObservableCounter("messaging.kafka.client.requests",
            () => Each(s => s.RequestsSent), "{request}", "Requests the client sent to brokers.");
        meter.CreateObservableCounter("messaging.kafka.client.responses",
            () => Each(s => s.ResponsesReceived), "{response}", "Responses the client received from brokers.");
        meter.CreateObservableCounter("messaging.kafka.client.sent.bytes",
            () => Each(s => s.BytesSent), "By", "Bytes the client sent to brokers.");
        meter.CreateObservableCounter("messaging.kafka.client.received.bytes",
            () => Each(s => s.BytesReceived), "By", "Bytes the client received from brokers.");
        meter.CreateObservableGauge("messaging.kafka.client.broker.rtt.average",
            () => EachBroker(b => b.RttAverageSeconds), "s", "Average round-trip time of requests to a broker over the last statistics window.");
        meter.CreateObservableGauge("messaging.kafka.client.broker.rtt.p99",
            () => EachBroker(b => b.RttP99Seconds), "s", "99th percentile round-trip time of requests to a broker over the last statistics window.");
        meter.CreateObservableGauge("messaging.kafka.consumer.lag", EachPartitionLag,
            "{message}", "Messages between the group's committed offset and the end of a partition, as the client sees it (librdkafka's consumer_lag).");
        meter.CreateObservableCounter("messaging.kafka.consumer.rebalances",
            () => EachConsumer(s => s.Rebalances), "{rebalance}", "Consumer group rebalances this client took part in.");
    }

    /// <summary>Keeps the newest statistics document of a client (called from its statistics handler).</summary>
    public static void Update(string statisticsJson, KafkaClientInfo client)
    {
        var statistics = ClientStatistics.Parse(statisticsJson, client);
        Latest[statistics.Name] = statistics;
    }

    /// <summary>Stops reporting a client that has been disposed.</summary>
    public static void Forget(string clientName) => Latest.TryRemove(clientName, out _);

    private static IEnumerable<Measurement<long>> Each(Func<ClientStatistics, long> value) =>
        Latest.Values.Select(s => new Measurement<long>(value(s), s.Tags));

    private static IEnumerable<Measurement<long>> EachConsumer(Func<ClientStatistics, long> value) =>
        Latest.Values.Where(s => s.IsConsumer).Select(s => new Measurement<long>(value(s), s.Tags));

    private static IEnumerable<Measurement<double>> EachBroker(Func<BrokerStatistics, double> value) =>
        Latest.Values.SelectMany(s => s.Brokers.Select(b => new Measurement<double>(value(b), b.Tags)));

    private static IEnumerable<Measurement<long>> EachPartitionLag() =>
        Latest.Values.SelectMany(s => s.PartitionLags.Select(p => new Measurement<long>(p.Lag, p.Tags)));

    private sealed record BrokerStatistics(double RttAverageSeconds, double RttP99Seconds, KeyValuePair<string, object?>[] Tags);

    private sealed record PartitionLag(long Lag, KeyValuePair<string, object?>[] Tags);

    private sealed record ClientStatistics(
        string Name,
        bool IsConsumer,
        long QueueMessages,
        long QueueBytes,
        long RequestsSent,
        long ResponsesReceived,
        long BytesSent,
        long BytesReceived,
        long Rebalances,
        BrokerStatistics[] Brokers,
        PartitionLag[] PartitionLags,
        KeyValuePair<string, object?>[] Tags)
    {
        private const double MicrosecondsPerSecond = 1_000_000;

        // Field names from librdkafka's STATISTICS.md.
        public static ClientStatistics Parse(string json, KafkaClientInfo client)
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var name = root.GetProperty("name").GetString() ?? "unknown";
            var isConsumer = root.GetProperty("type").GetString() == "consumer";
            KeyValuePair<string, object?>[] clientTags =
            [
                new(MessagingAttributes.System, MessagingAttributes.KafkaSystem),
                new(MessagingAttributes.ClientId, name),
            ];

            var brokers = new List<BrokerStatistics>();
            if (root.TryGetProperty("brokers", out var brokersElement))
            {
                foreach (var broker in brokersElement.EnumerateObject())
                {
                    // Bootstrap entries (node id -1) stand for no real broker.
                    if (broker.Value.GetProperty("nodeid").GetInt32() < 0)
                    {
                        continue;
                    }

                    var rtt = broker.Value.GetProperty("rtt");
                    brokers.Add(new BrokerStatistics(
                        rtt.GetProperty("avg").GetInt64() / MicrosecondsPerSecond,
                        rtt.GetProperty("p99").GetInt64() / MicrosecondsPerSecond,
                        [.. clientTags, new(MessagingAttributes.ServerAddress, broker.Value.GetProperty("nodename").GetString())]));
                }
            }

            var lags = new List<PartitionLag>();
            if (isConsumer && root.TryGetProperty("topics", out var topics))
            {
                foreach (var topic in topics.EnumerateObject())
                {
                    foreach (var partition in topic.Value.GetProperty("partitions").EnumerateObject())
                    {
                        var id = partition.Value.GetProperty("partition").GetInt32();
                        var lag = partition.Value.GetProperty("consumer_lag").GetInt64();
                        // Partition -1 is librdkafka's internal "unassigned" queue; lag -1 means not known yet.
                        if (id < 0 || lag < 0)
                        {
                            continue;
                        }

                        lags.Add(new PartitionLag(lag,
                        [
                            .. clientTags,
                            new(MessagingAttributes.DestinationName, topic.Name),
                            new(MessagingAttributes.PartitionId, partition.Name),
                            new(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup),
                        ]));
                    }
                }
            }

            var rebalances = isConsumer && root.TryGetProperty("cgrp", out var group)
                ? group.GetProperty("rebalance_cnt").GetInt64()
                : 0;

            return new ClientStatistics(
                name,
                isConsumer,
                root.GetProperty("msg_cnt").GetInt64(),
                root.GetProperty("msg_size").GetInt64(),
                root.GetProperty("tx").GetInt64(),
                root.GetProperty("rx").GetInt64(),
                root.GetProperty("tx_bytes").GetInt64(),
                root.GetProperty("rx_bytes").GetInt64(),
                rebalances,
                [.. brokers],
                [.. lags],
                clientTags);
        }
    }
}
