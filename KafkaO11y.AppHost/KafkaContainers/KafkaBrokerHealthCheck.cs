using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaO11y.AppHost.KafkaContainers;

/// <summary>Healthy when the broker answers a metadata request on its host listener.</summary>
internal sealed class KafkaBrokerHealthCheck(KafkaBrokerResource broker) : IHealthCheck
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var bootstrap = await broker.ConnectionStringExpression.GetValueAsync(cancellationToken);
        return await Task.Run(() =>
        {
            try
            {
                using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
                var metadata = admin.GetMetadata(MetadataTimeout);
                return metadata.Brokers.Exists(b => b.BrokerId == broker.NodeId)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"Broker {broker.NodeId} is not in the cluster metadata yet.");
            }
            catch (KafkaException e)
            {
                return HealthCheckResult.Unhealthy(e.Error.Reason, e);
            }
        }, cancellationToken);
    }
}
