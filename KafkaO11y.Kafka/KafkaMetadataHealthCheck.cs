using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaO11y.Kafka;

/// <summary>
/// Healthy when a metadata request is answered: by any broker, or, for one broker, with that broker
/// in the cluster. It sends no message, so it needs no health topic and works on any cluster, the
/// embedded one included. A service checks its client's own connection; the AppHost checks each
/// broker container it runs.
/// </summary>
public sealed class KafkaMetadataHealthCheck : IHealthCheck
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(3);

    private readonly Func<CancellationToken, Task<IAdminClient>> _connect;
    private readonly int? _brokerId;

    private KafkaMetadataHealthCheck(Func<CancellationToken, Task<IAdminClient>> connect, int? brokerId)
    {
        _connect = connect;
        _brokerId = brokerId;
    }

    /// <summary>Over the client's own connection: is the cluster reachable from this service?</summary>
    public static KafkaMetadataHealthCheck ForClient(IClient client) =>
        new(_ => Task.FromResult(new DependentAdminClientBuilder(client.Handle).Build()), brokerId: null);

    /// <summary>Over a connection of its own: is the broker <paramref name="brokerId"/> up and in the cluster?</summary>
    /// <param name="bootstrapServers">Resolved at each check: the address may be known only once the broker runs.</param>
    /// <param name="brokerId">The broker's node id, which the metadata must list.</param>
    public static KafkaMetadataHealthCheck ForBroker(Func<CancellationToken, Task<string?>> bootstrapServers, int brokerId) =>
        new(async cancellationToken => new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = await bootstrapServers(cancellationToken).ConfigureAwait(false),
        }).Build(), brokerId);

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var admin = await _connect(cancellationToken).ConfigureAwait(false);
        // GetMetadata blocks; keep it off the caller's thread.
        return await Task.Run(() =>
        {
            try
            {
                var metadata = admin.GetMetadata(MetadataTimeout);
                if (_brokerId is { } id)
                {
                    return metadata.Brokers.Exists(b => b.BrokerId == id)
                        ? HealthCheckResult.Healthy($"Broker {id} is in the cluster")
                        : HealthCheckResult.Unhealthy($"Broker {id} is not in the cluster metadata yet.");
                }

                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) reachable")
                    : HealthCheckResult.Unhealthy("The cluster reported no brokers.");
            }
            catch (KafkaException e)
            {
                return HealthCheckResult.Unhealthy($"Kafka metadata request failed: {e.Error.Reason}", e);
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}
