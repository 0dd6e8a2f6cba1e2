using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaO11y.Tests.Kafka;

/// <summary>
/// The one metadata health check, as a service uses it (its client's connection) and as the AppHost
/// uses it for each broker it runs, against the embedded cluster's real protocol.
/// </summary>
public sealed class KafkaMetadataHealthCheckTests : IDisposable
{
    private readonly EmbeddedKafkaCluster _kafka = EmbeddedKafkaCluster.Start(brokers: 3, []);

    [Fact]
    public async Task A_broker_in_the_cluster_is_healthy_and_one_that_is_not_says_so()
    {
        var present = await CheckAsync(KafkaMetadataHealthCheck.ForBroker(_ => Task.FromResult<string?>(_kafka.BootstrapServers), brokerId: 2));
        var absent = await CheckAsync(KafkaMetadataHealthCheck.ForBroker(_ => Task.FromResult<string?>(_kafka.BootstrapServers), brokerId: 4));

        Assert.Equal(HealthStatus.Healthy, present.Status);
        Assert.Equal("Broker 2 is in the cluster", present.Description);
        Assert.Equal(HealthStatus.Unhealthy, absent.Status);
        Assert.Equal("Broker 4 is not in the cluster metadata yet.", absent.Description);
    }

    [Fact]
    public async Task A_client_is_healthy_while_the_cluster_answers_and_unhealthy_once_every_broker_is_down()
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var check = KafkaMetadataHealthCheck.ForClient(producer);

        var up = await CheckAsync(check);
        for (var broker = 1; broker <= 3; broker++)
        {
            _kafka.SetBrokerDown(broker);
        }

        var down = await CheckAsync(check);

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal("3 broker(s) reachable", up.Description);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.StartsWith("Kafka metadata request failed", down.Description);
    }

    private static Task<HealthCheckResult> CheckAsync(IHealthCheck check) =>
        check.CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("kafka", check, HealthStatus.Unhealthy, tags: null),
        });

    public void Dispose() => _kafka.Dispose();
}
