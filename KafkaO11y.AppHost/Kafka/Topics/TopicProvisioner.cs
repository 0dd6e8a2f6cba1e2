using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaO11y.EmbeddedKafka;

namespace KafkaO11y.AppHost.Kafka.Topics;

/// <summary>A topic as the provisioner left it.</summary>
/// <param name="Name">The topic.</param>
/// <param name="Partitions">Its partitions in the cluster's metadata.</param>
/// <param name="Created">Created by this run, rather than found.</param>
public sealed record ProvisionedTopic(string Name, int Partitions, bool Created)
{
    public override string ToString() => $"{Name}: {(Created ? "created" : "exists")} with {Partitions} partition(s)";
}

/// <summary>
/// Makes the app's topics exist before any service starts, with brokers that do not create topics
/// on first use: reads the cluster's metadata, creates the topics that are missing, and refuses a
/// topic that has fewer partitions than the app needs (a data volume from an older layout, say).
/// </summary>
/// <param name="admin">Reads the cluster's metadata.</param>
/// <param name="createMissing">Creates topics: through the admin API (<see cref="CreateThrough"/>), or the embedded cluster's own.</param>
public sealed class TopicProvisioner(IAdminClient admin, Func<IReadOnlyList<KafkaTopic>, CancellationToken, Task> createMissing)
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long created topics may take to appear in the metadata every broker serves.</summary>
    public TimeSpan PropagationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<ProvisionedTopic>> EnsureAsync(IReadOnlyList<KafkaTopic> topics, CancellationToken cancellationToken)
    {
        var existing = Partitions();
        var tooSmall = topics.Where(t => existing.TryGetValue(t.Name, out var partitions) && partitions < t.Partitions).ToList();
        if (tooSmall.Count > 0)
        {
            throw new InvalidOperationException(
                "The cluster has topics with fewer partitions than the app needs: " +
                string.Join("; ", tooSmall.Select(t => $"'{t.Name}' has {existing[t.Name]}, needs {t.Partitions}")) +
                ". Delete them (or add partitions) and start again.");
        }

        var missing = topics.Where(t => !existing.ContainsKey(t.Name)).ToList();
        if (missing.Count > 0)
        {
            await createMissing(missing, cancellationToken);
            existing = await WaitUntilListedAsync(missing, cancellationToken);
        }

        return [.. topics.Select(t => new ProvisionedTopic(t.Name, existing[t.Name], Created: missing.Contains(t)))];
    }

    /// <summary>
    /// Creates topics with Kafka's CreateTopics request, each with its partitions and the cluster's
    /// default replication factor; a topic created meanwhile by someone else is no error.
    /// </summary>
    public static Func<IReadOnlyList<KafkaTopic>, CancellationToken, Task> CreateThrough(IAdminClient admin, TimeSpan requestTimeout) =>
        async (topics, _) =>
        {
            try
            {
                await admin.CreateTopicsAsync(
                    topics.Select(t => new TopicSpecification
                    {
                        Name = t.Name,
                        NumPartitions = t.Partitions,
                        // -1: the broker's default.replication.factor, which the AppHost sets for its
                        // cluster's size and which an external cluster's operator chose.
                        ReplicationFactor = -1,
                    }),
                    new CreateTopicsOptions { RequestTimeout = requestTimeout, OperationTimeout = requestTimeout });
            }
            catch (CreateTopicsException e)
            {
                var failures = e.Results.Where(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists)).ToList();
                if (failures.Count > 0)
                {
                    throw NotCreated(failures.Select(r => (r.Topic, r.Error)), e);
                }
            }
            catch (KafkaException e)
            {
                // The request as a whole failed (no controller answered, say): every topic with one reason.
                throw NotCreated(topics.Select(t => (t.Name, e.Error)), e);
            }
        };

    private static InvalidOperationException NotCreated(IEnumerable<(string Topic, Error Error)> failures, Exception inner) =>
        new("Kafka did not create the topics: " + string.Join("; ", failures.Select(f => $"'{f.Topic}': {f.Error.Reason} ({f.Error.Code})")), inner);

    private Dictionary<string, int> Partitions() =>
        admin.GetMetadata(MetadataTimeout).Topics
            .Where(t => t.Error.Code == ErrorCode.NoError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count);

    private async Task<Dictionary<string, int>> WaitUntilListedAsync(IReadOnlyList<KafkaTopic> created, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PropagationTimeout);
        while (true)
        {
            var existing = Partitions();
            var unlisted = created.Where(t => !existing.ContainsKey(t.Name)).Select(t => t.Name).ToList();
            if (unlisted.Count == 0)
            {
                return existing;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Created topics {string.Join(", ", unlisted)} were not in the cluster's metadata after {PropagationTimeout.TotalSeconds:0} s.");
            }
        }
    }
}
