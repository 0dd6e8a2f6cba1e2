using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KafkaO11y.Kafka;

/// <summary>
/// librdkafka's statistics as OpenTelemetry metrics: client queue depth, request and byte totals,
/// broker round-trip time, consumer lag per partition and rebalances. The newest document of each
/// client is kept and read by observable instruments when metrics are collected.
/// </summary>
/// <remarks>
/// One per service provider, on a meter from its <see cref="IMeterFactory"/>: disposing the host
/// disposes the meter, and another host (a test's) has its own.
/// </remarks>
public sealed class KafkaStatisticsMetrics
{
    private const double MicrosecondsPerSecond = 1_000_000;

    private readonly ConcurrentDictionary<string, ClientMeasurements> _latest = new();

    // Clients closed or disposed: a document still queued for one is dropped, not reported again.
    private readonly ConcurrentDictionary<string, byte> _forgotten = new();

    /// <summary>Creates the statistics instruments on the integration's meter, made by the host's meter factory.</summary>
    public KafkaStatisticsMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(KafkaTelemetry.NewMeterOptions());
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

    /// <summary>Keeps a client's newest statistics (called by <see cref="KafkaStatisticsCollector"/>, off librdkafka's thread).</summary>
    internal void Update(LibrdkafkaStatistics statistics, KafkaClientInfo client)
    {
        if (!_forgotten.ContainsKey(statistics.Name))
        {
            _latest[statistics.Name] = ClientMeasurements.From(statistics, client);
        }
    }

    /// <summary>Stops reporting a client that has been closed or disposed.</summary>
    public void Forget(string clientName)
    {
        _forgotten[clientName] = 0;
        _latest.TryRemove(clientName, out _);
    }

    private IEnumerable<Measurement<long>> Each(Func<ClientMeasurements, long> value) =>
        _latest.Values.Select(s => new Measurement<long>(value(s), s.Tags));

    private IEnumerable<Measurement<long>> EachConsumer(Func<ClientMeasurements, long> value) =>
        _latest.Values.Where(s => s.IsConsumer).Select(s => new Measurement<long>(value(s), s.Tags));

    private IEnumerable<Measurement<double>> EachBroker(Func<BrokerMeasurements, double> value) =>
        _latest.Values.SelectMany(s => s.Brokers.Select(b => new Measurement<double>(value(b), b.Tags)));

    private IEnumerable<Measurement<long>> EachPartitionLag() =>
        _latest.Values.SelectMany(s => s.PartitionLags.Select(p => new Measurement<long>(p.Lag, p.Tags)));

    private sealed record BrokerMeasurements(double RttAverageSeconds, double RttP99Seconds, KeyValuePair<string, object?>[] Tags);

    private sealed record PartitionLag(long Lag, KeyValuePair<string, object?>[] Tags);

    private sealed record ClientMeasurements(
        bool IsConsumer,
        long QueueMessages,
        long QueueBytes,
        long RequestsSent,
        long ResponsesReceived,
        long BytesSent,
        long BytesReceived,
        long Rebalances,
        BrokerMeasurements[] Brokers,
        PartitionLag[] PartitionLags,
        KeyValuePair<string, object?>[] Tags)
    {
        public static ClientMeasurements From(LibrdkafkaStatistics statistics, KafkaClientInfo client)
        {
            KeyValuePair<string, object?>[] clientTags =
            [
                new(MessagingAttributes.System, MessagingAttributes.KafkaSystem),
                new(MessagingAttributes.ClientId, statistics.Name),
            ];

            BrokerMeasurements[] brokers =
            [
                .. statistics.Brokers.Values
                    .Where(b => b.NodeId >= 0)
                    .Select(b => new BrokerMeasurements(
                        b.Rtt.Avg / MicrosecondsPerSecond,
                        b.Rtt.P99 / MicrosecondsPerSecond,
                        [.. clientTags, new(MessagingAttributes.ServerAddress, b.NodeName)])),
            ];

            PartitionLag[] lags = statistics.IsConsumer
                ?
                [
                    .. from topic in statistics.Topics
                       from partition in topic.Value.Partitions.Values
                       where partition.Partition >= 0 && partition.ConsumerLag >= 0
                       select new PartitionLag(partition.ConsumerLag,
                       [
                           .. clientTags,
                           new(MessagingAttributes.DestinationName, topic.Key),
                           new(MessagingAttributes.PartitionId, partition.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                           new(MessagingAttributes.ConsumerGroupName, client.ConsumerGroup),
                       ]),
                ]
                : [];

            return new ClientMeasurements(
                statistics.IsConsumer,
                statistics.MsgCnt,
                statistics.MsgSize,
                statistics.Tx,
                statistics.Rx,
                statistics.TxBytes,
                statistics.RxBytes,
                statistics.IsConsumer ? statistics.Cgrp?.RebalanceCnt ?? 0 : 0,
                brokers,
                lags,
                clientTags);
        }
    }
}
