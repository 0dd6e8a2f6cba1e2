using KafkaO11y.Contracts;

namespace KafkaO11y.EmbeddedKafka;

/// <summary>A topic the embedded cluster creates at start.</summary>
public sealed record KafkaTopic(string Name, int Partitions);

/// <summary>Kafka protocol request kinds (API keys) whose failures can be injected.</summary>
public enum KafkaRequest : short
{
    Produce = 0,
    Fetch = 1,
}

/// <summary>Kafka protocol error codes worth injecting: retriable ones a healthy client survives.</summary>
public enum KafkaErrorCode
{
    UnknownTopicOrPartition = 3,
    LeaderNotAvailable = 5,
    NotLeaderOrFollower = 6,
    RequestTimedOut = 7,
    NotEnoughReplicas = 19,
    NotEnoughReplicasAfterAppend = 20,
}

/// <summary>
/// Kafka in this process: librdkafka's mock cluster, which speaks the real Kafka protocol on
/// loopback TCP ports, so that any Kafka client can use it. It lives until disposed.
/// </summary>
/// <remarks>
/// The mock cluster implements produce, fetch, metadata, consumer groups, offsets and the
/// idempotent producer, but not the admin APIs (CreateTopics, ListGroups...): topics are created
/// here, through its own API.
/// </remarks>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _partitions = [];
    private IntPtr _client;
    private readonly IntPtr _cluster;

    private EmbeddedKafkaCluster(IntPtr client, int brokers)
    {
        _client = client;
        _cluster = LibrdkafkaMock.rd_kafka_handle_mock_cluster(client);
        if (_cluster == IntPtr.Zero)
        {
            LibrdkafkaMock.rd_kafka_destroy(client);
            throw new InvalidOperationException("librdkafka created no mock cluster.");
        }

        Brokers = brokers;
        BootstrapServers = LibrdkafkaMock.Bootstraps(_cluster);
    }

    /// <summary>The brokers' addresses, <c>host:port[,host:port]</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers, with ids 1 to <see cref="Brokers"/>.</summary>
    public int Brokers { get; }

    /// <summary>
    /// What a client of the mock cluster should set, as ServiceDefaults' configuration keys. A real
    /// broker answers a waiting fetch as soon as data arrives; the mock cluster waits out
    /// fetch.wait.max.ms (500 ms by default), which would add ~250 ms to every message's end-to-end
    /// latency. Measured: p50 248 ms -> 6 ms.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ClientSettings { get; } = new Dictionary<string, string>
    {
        [$"{ConfigurationKeys.KafkaConsumer}:FetchWaitMaxMs"] = "10",
    };

    public static EmbeddedKafkaCluster Start(int brokers, IEnumerable<KafkaTopic> topics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var cluster = new EmbeddedKafkaCluster(LibrdkafkaMock.NewClientWithMockCluster(brokers), brokers);
        try
        {
            foreach (var topic in topics)
            {
                cluster.CreateTopic(topic);
            }
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        return cluster;
    }

    public void CreateTopic(KafkaTopic topic)
    {
        // The mock cluster would take a topic without partitions, which no client can use.
        if (topic.Partitions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topic), $"Topic '{topic.Name}' needs at least 1 partition, not {topic.Partitions}.");
        }

        // Replicate as far as the brokers allow, up to Kafka's usual 3.
        var replicationFactor = Math.Min(Brokers, 3);
        Check(LibrdkafkaMock.rd_kafka_mock_topic_create(Cluster, topic.Name, topic.Partitions, replicationFactor),
            $"create topic '{topic.Name}'");
        lock (_lock)
        {
            _partitions[topic.Name] = topic.Partitions;
        }
    }

    private int PartitionsOf(string topic)
    {
        lock (_lock)
        {
            return _partitions.TryGetValue(topic, out var partitions)
                ? partitions
                : throw new ArgumentException($"The embedded Kafka has no topic '{topic}'; it has {string.Join(", ", _partitions.Keys.Order())}.", nameof(topic));
        }
    }

    /// <summary>Makes <paramref name="brokerId"/> the partition's leader, as Kafka's controller does when the leader fails.</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(LibrdkafkaMock.rd_kafka_mock_partition_set_leader(Cluster, topic, partition, brokerId),
            $"make broker {brokerId} the leader of {topic} partition {partition}");

    public void SetBrokerDown(int brokerId) =>
        Check(LibrdkafkaMock.rd_kafka_mock_broker_set_down(Cluster, brokerId), $"take broker {brokerId} down");

    public void SetBrokerUp(int brokerId) =>
        Check(LibrdkafkaMock.rd_kafka_mock_broker_set_up(Cluster, brokerId), $"bring broker {brokerId} up");

    /// <summary>Adds a delay to every request and response of every broker (0 removes it).</summary>
    public void SetRoundTripTime(TimeSpan delay)
    {
        for (var brokerId = 1; brokerId <= Brokers; brokerId++)
        {
            SetRoundTripTime(brokerId, delay);
        }
    }

    /// <summary>
    /// Delays one broker's responses (0 removes it). It still appends a produced batch at once, so
    /// if it goes down meanwhile, the batch is in the log but its acknowledgement never arrives.
    /// </summary>
    public void SetRoundTripTime(int brokerId, TimeSpan delay) =>
        Check(LibrdkafkaMock.rd_kafka_mock_broker_set_rtt(Cluster, brokerId, (int)delay.TotalMilliseconds), $"delay broker {brokerId}");

    /// <summary>Answers the next <paramref name="count"/> requests of a kind with a Kafka error.</summary>
    public void FailRequests(KafkaRequest request, KafkaErrorCode error, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        LibrdkafkaMock.rd_kafka_mock_push_request_errors_array(Cluster, (short)request, (nuint)count, Enumerable.Repeat((int)error, count).ToArray());
    }

    /// <summary>
    /// Answers the next <paramref name="count"/> requests of a kind for each partition of one topic
    /// with a Kafka error; other topics are untouched. They run out by themselves: the mock cluster
    /// cannot drop them (<see cref="ClearRequestErrors"/> clears only the ones for every topic).
    /// </summary>
    public void FailRequests(string topic, KafkaRequest request, KafkaErrorCode error, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var partition = 0; partition < PartitionsOf(topic); partition++)
        {
            for (var i = 0; i < count; i++)
            {
                Check(LibrdkafkaMock.rd_kafka_mock_partition_push_request_errors(Cluster, topic, partition, (short)request, 1, (int)error),
                    $"fail {request} requests for {topic} partition {partition}");
            }
        }
    }

    /// <summary>Drops the errors still queued for a kind of request.</summary>
    public void ClearRequestErrors(KafkaRequest request) =>
        LibrdkafkaMock.rd_kafka_mock_clear_request_errors(Cluster, (short)request);

    private IntPtr Cluster
    {
        get
        {
            ObjectDisposedException.ThrowIf(_client == IntPtr.Zero, this);
            return _cluster;
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded Kafka could not {what}: {LibrdkafkaMock.ErrorName(error)}.");
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_client != IntPtr.Zero)
            {
                // The client owns the mock cluster: destroying it stops the brokers.
                LibrdkafkaMock.rd_kafka_destroy(_client);
                _client = IntPtr.Zero;
            }
        }
    }
}
