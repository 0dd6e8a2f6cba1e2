using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;

namespace KafkaO11y.Tests.Kafka;

/// <summary>The embedded cluster as any Kafka client sees it.</summary>
public sealed class EmbeddedKafkaClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Three_brokers_serve_the_topics_with_their_partitions_replicated_three_times()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 3, [new KafkaTopic("orders", 6), new KafkaTopic("orders.dlq", 1)]);

        Assert.Equal(3, kafka.BootstrapServers.Split(',').Length);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.BrokerId).Order());
        Assert.All(metadata.Brokers, b => Assert.Equal("127.0.0.1", b.Host));
        var orders = metadata.Topics.Single(t => t.Topic == "orders");
        Assert.Equal(6, orders.Partitions.Count);
        Assert.All(orders.Partitions, p => Assert.Equal(3, p.Replicas.Length));
        Assert.Single(metadata.Topics.Single(t => t.Topic == "orders.dlq").Partitions);
    }

    /// <summary>
    /// Three brokers, replication factor 3: the leader of a partition goes down while an idempotent
    /// producer streams to it, and leadership moves to another replica. The leader answers 300 ms
    /// late, so batches it has appended are unacknowledged when it dies, and the producer sends them
    /// again to the new leader: every acknowledged message is in the partition. Real Kafka would
    /// recognise the retried batches by their producer id and sequence; the mock cluster checks
    /// sequences only for transactional producers (rdkafka_mock.c, rd_kafka_mock_validate_records), so here
    /// they may be written twice (0 to 360 in 2,000 in runs here, depending on timing), and the test
    /// says how many. The Consumer's duplicate detection is what sees such copies (EndToEndTests, and the soak counts both).
    /// </summary>
    [Fact]
    public async Task When_a_partitions_leader_fails_over_with_acknowledgements_in_flight_every_acknowledged_message_is_there()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 3, [new KafkaTopic("orders", 1)]);
        kafka.SetPartitionLeader("orders", 0, 1);
        kafka.SetRoundTripTime(1, TimeSpan.FromMilliseconds(300));
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = 30_000,
            LingerMs = 5,
        }).Build();

        const int Messages = 2_000;
        var acknowledged = new List<string>();
        var failed = 0;
        var sends = new List<Task>();
        for (var i = 0; i < Messages; i++)
        {
            var value = $"order-{i}";
            sends.Add(producer.ProduceAsync("orders", new Message<Null, string> { Value = value }).ContinueWith(t =>
            {
                lock (acknowledged)
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        acknowledged.Add(value);
                    }
                    else
                    {
                        failed++;
                    }
                }
            }, TaskScheduler.Default));
            // A steady stream (about 2,000 a second), so batches are in flight when the leader fails.
            if (i % 10 == 0)
            {
                await Task.Delay(5);
            }

            if (i == Messages / 3)
            {
                // Mid-stream: the leader crashes, and a follower is elected in its place.
                kafka.SetBrokerDown(1);
                await Task.Delay(200);
                kafka.SetPartitionLeader("orders", 0, 2);
            }
        }

        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
        kafka.SetBrokerUp(1);

        using var reader = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = "reader", AutoOffsetReset = AutoOffsetReset.Earliest, EnablePartitionEof = true,
        }).Build();
        reader.Assign(new TopicPartitionOffset("orders", 0, Offset.Beginning));
        var stored = new List<string>();
        while (reader.Consume(TimeSpan.FromSeconds(10)) is { } consumed && !consumed.IsPartitionEOF)
        {
            stored.Add(consumed.Message.Value);
        }

        var duplicates = stored.Count - stored.Distinct().Count();
        output.WriteLine($"sent: {Messages}; acknowledged: {acknowledged.Count}; failed: {failed}; leader 1 (300 ms late) down and leadership moved to 2 after {Messages / 3} sends; " +
            $"in the partition: {stored.Count} ({duplicates} written twice by the producer's retries, which the mock cluster does not deduplicate); acknowledged but missing: {acknowledged.Except(stored).Count()}");
        Assert.Equal(Messages, acknowledged.Count + failed);
        Assert.True(acknowledged.Count > Messages / 2, $"only {acknowledged.Count} acknowledged");
        Assert.Empty(acknowledged.Except(stored));
    }

    /// <summary>Errors for one topic, as when only the dead-letter topic's partitions fail: the other topic is served as usual.</summary>
    [Fact]
    public async Task Errors_injected_for_one_topic_fail_only_its_requests_and_run_out_after_their_count()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic("orders", 1), new KafkaTopic("orders.dlq", 1)]);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            // Two tries per message, so that each send uses up at most two of the injected errors.
            MessageSendMaxRetries = 1,
            RetryBackoffMs = 10,
        }).Build();

        kafka.FailRequests("orders.dlq", KafkaRequest.Produce, KafkaErrorCode.NotEnoughReplicas, count: 4);

        var order = await producer.ProduceAsync("orders", new Message<Null, string> { Value = "served" });
        var first = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("orders.dlq", new Message<Null, string> { Value = "1" }));
        var second = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("orders.dlq", new Message<Null, string> { Value = "2" }));
        var third = await producer.ProduceAsync("orders.dlq", new Message<Null, string> { Value = "3" });

        Assert.Equal(PersistenceStatus.Persisted, order.Status);
        Assert.Equal(ErrorCode.NotEnoughReplicas, first.Error.Code);
        Assert.Equal(ErrorCode.NotEnoughReplicas, second.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, third.Status);
        Assert.Throws<ArgumentException>(() => kafka.FailRequests("no-such-topic", KafkaRequest.Produce, KafkaErrorCode.NotEnoughReplicas, 1));
    }

    [Fact]
    public async Task A_broker_taken_down_refuses_clients_until_it_is_brought_back()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic("events", 1)]);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            MessageTimeoutMs = 2_000,
            // Reconnect quickly once the broker is back.
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 200,
        }).Build();
        await producer.ProduceAsync("events", new Message<Null, string> { Value = "before" });

        kafka.SetBrokerDown(1);
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(() =>
            producer.ProduceAsync("events", new Message<Null, string> { Value = "while down" }));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);

        // Back up: accepted again once the client has reconnected (each try times out after 2 s;
        // on a loaded machine the first may fall before the reconnect).
        kafka.SetBrokerUp(1);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        DeliveryResult<Null, string>? delivered = null;
        while (delivered is null)
        {
            try
            {
                delivered = await producer.ProduceAsync("events", new Message<Null, string> { Value = "after" });
            }
            catch (ProduceException<Null, string> e) when (e.Error.Code == ErrorCode.Local_MsgTimedOut && DateTime.UtcNow < deadline)
            {
            }
        }

        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public void Impossible_settings_are_refused_with_a_clear_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddedKafkaCluster.Start(brokers: 0, []));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic("empty", 0)]));
        Assert.Contains("Topic 'empty' needs at least 1 partition", error.Message);
    }
}
