using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaO11y.Kafka;

/// <summary>
/// Healthy when the client's own connection can fetch cluster metadata from a broker. It sends no
/// message, so it needs no health topic and works on any cluster, the embedded one included.
/// </summary>
internal sealed class KafkaClientHealthCheck(IClient client) : IHealthCheck
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(3);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        // GetMetadata blocks; keep it off the caller's thread.
        Task.Run(() =>
        {
            try
            {
                using var admin = new DependentAdminClientBuilder(client.Handle).Build();
                var metadata = admin.GetMetadata(MetadataTimeout);
                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) reachable")
                    : HealthCheckResult.Unhealthy("The cluster reported no brokers.");
            }
            catch (KafkaException e)
            {
                return HealthCheckResult.Unhealthy($"Kafka metadata request failed: {e.Error.Reason}", e);
            }
        }, cancellationToken);
}
