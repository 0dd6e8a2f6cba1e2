using KafkaO11y.EmbeddedKafka;

namespace KafkaO11y.AppHost.Kafka.Embedded;

/// <summary>
/// Kafka hosted inside the AppHost process (<see cref="EmbeddedKafkaCluster"/>). Its connection
/// string is the bootstrap address, known once the cluster has started.
/// </summary>
public sealed class EmbeddedKafkaResource : Resource, IResourceWithConnectionString
{
    private readonly TaskCompletionSource<EmbeddedKafkaCluster> _started =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EmbeddedKafkaResource(string name, int brokers) : base(name)
    {
        Brokers = brokers;
        ConnectionStringExpression = ReferenceExpression.Create($"{new BootstrapServersReference(this)}");
    }

    public int Brokers { get; }

    public ReferenceExpression ConnectionStringExpression { get; }

    /// <summary>The running cluster; completes when the resource has started.</summary>
    public Task<EmbeddedKafkaCluster> Cluster => _started.Task;

    internal void Started(EmbeddedKafkaCluster cluster) => _started.TrySetResult(cluster);

    internal void FailedToStart(Exception error) => _started.TrySetException(error);

    /// <summary>The bootstrap address as a value that is resolved only when a service starts.</summary>
    private sealed class BootstrapServersReference(EmbeddedKafkaResource kafka) : IValueProvider, IManifestExpressionProvider
    {
        public string ValueExpression => $"{{{kafka.Name}.bootstrapServers}}";

        public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            (await kafka.Cluster.WaitAsync(cancellationToken).ConfigureAwait(false)).BootstrapServers;
    }
}
