using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaO11y.AppHost.Kafka.Containers;

/// <summary>Kafka as the services and the containers see it.</summary>
/// <param name="Connection">The <c>kafka</c> connection string the services reference (host listeners).</param>
/// <param name="BootstrapForContainers">Bootstrap servers as containers reach them (for the collector).</param>
/// <param name="Brokers">The broker containers the AppHost runs; none for an external cluster.</param>
public sealed record KafkaCluster(
    IResourceBuilder<IResourceWithConnectionString> Connection,
    ReferenceExpression BootstrapForContainers,
    IReadOnlyList<IResourceBuilder<KafkaBrokerResource>> Brokers);

public static class KafkaClusterBuilderExtensions
{
    // KRaft needs one cluster id shared by all nodes (22 characters, base64 of 16 bytes); a fixed
    // one keeps a data volume usable across runs.
    private const string ClusterId = "YaZ8i0O-RKixVpcx4o6XvA";

    /// <summary>
    /// Apache Kafka in KRaft mode: one combined broker/controller node named <paramref name="name"/>,
    /// or, for several brokers, nodes <c>{name}-1</c>... forming one quorum, with a <c>kafka</c>
    /// connection string over all of them. Each node has a listener for host processes, one for
    /// containers, remote JMX for the exporter, and a health check; replication follows the size.
    /// </summary>
    public static KafkaCluster AddKafkaCluster(this IDistributedApplicationBuilder builder, string name, int brokers, bool dataVolume)
    {
        var names = brokers == 1 ? [name] : Enumerable.Range(1, brokers).Select(id => $"{name}-{id}").ToArray();
        var voters = string.Join(',', names.Select((node, index) => $"{index + 1}@{node}:{KafkaBrokerResource.ControllerListenerPort}"));
        var nodes = names.Select((node, index) => builder.AddKafkaBroker(node, nodeId: index + 1, voters, brokers, dataVolume)).ToList();

        var bootstrapForContainers = ReferenceExpression.Create($"{string.Join(',', nodes.Select(n => n.Resource.InternalAddress))}");
        if (brokers == 1)
        {
            return new KafkaCluster(nodes[0], bootstrapForContainers, nodes);
        }

        var hostBootstrap = new ReferenceExpressionBuilder();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (i > 0)
            {
                hostBootstrap.AppendLiteral(",");
            }

            // Each node's own connection string: its listener for host processes.
            hostBootstrap.Append($"{nodes[i].Resource.ConnectionStringExpression}");
        }

        var connection = builder.AddConnectionString(name, hostBootstrap.Build());
        foreach (var node in nodes)
        {
            connection.WaitFor(node);
        }

        return new KafkaCluster(connection, bootstrapForContainers, nodes);
    }

    /// <summary>
    /// A cluster the AppHost does not run, from <c>ConnectionStrings:kafka</c>: the services and the
    /// collector use it as it is (its listeners must be reachable from both).
    /// </summary>
    public static KafkaCluster AddExternalKafka(this IDistributedApplicationBuilder builder, string name)
    {
        var connection = builder.AddConnectionString(name);
        return new KafkaCluster(connection, ReferenceExpression.Create($"{connection.Resource}"), []);
    }

    private static readonly string Listeners =
        $"PLAINTEXT_HOST://:{KafkaBrokerResource.HostListenerPort},PLAINTEXT_INTERNAL://:{KafkaBrokerResource.InternalListenerPort},CONTROLLER://:{KafkaBrokerResource.ControllerListenerPort}";

    private static IResourceBuilder<KafkaBrokerResource> AddKafkaBroker(
        this IDistributedApplicationBuilder builder, string name, int nodeId, string voters, int clusterSize, bool dataVolume)
    {
        var broker = new KafkaBrokerResource(name, nodeId);
        // With 3 or more brokers: 3 replicas and at least 2 in sync for every write acks=all waits on.
        var replication = Math.Min(clusterSize, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var minInSync = clusterSize >= 3 ? "2" : "1";

        var healthCheckKey = $"{name}-metadata";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey,
            _ => KafkaMetadataHealthCheck.ForBroker(cancellationToken => broker.ConnectionStringExpression.GetValueAsync(cancellationToken).AsTask(), broker.NodeId),
            HealthStatus.Unhealthy,
            tags: null));

        var resource = builder.AddResource(broker)
            .WithImage(ContainerImages.Kafka)
            .WithEndpoint(targetPort: KafkaBrokerResource.HostListenerPort, name: KafkaBrokerResource.HostEndpointName)
            .WithEndpoint(targetPort: KafkaBrokerResource.InternalListenerPort, name: KafkaBrokerResource.InternalEndpointName)
            .WithUrlForEndpoint(KafkaBrokerResource.InternalEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            // Setting any KAFKA_* variable replaces the image's default server.properties: the full set follows.
            .WithEnvironment("CLUSTER_ID", ClusterId)
            .WithEnvironment("KAFKA_NODE_ID", nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
            .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", voters)
            .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .WithEnvironment("KAFKA_LISTENERS", Listeners)
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", ReferenceExpression.Create(
                $"PLAINTEXT_HOST://localhost:{broker.HostEndpoint.Property(EndpointProperty.Port)},PLAINTEXT_INTERNAL://{broker.InternalAddress}"))
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT_INTERNAL")
            .WithEnvironment("KAFKA_LOG_DIRS", "/var/lib/kafka/data")
            // Topics exist only as the kafka-topics step creates them: a misspelt topic name is an
            // error, not a new topic with the broker's default partitions.
            .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .WithEnvironment("KAFKA_DEFAULT_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_MIN_INSYNC_REPLICAS", minInSync)
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", minInSync)
            .WithEnvironment("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", minInSync)
            // A developer's consumers join at once instead of after the default 3 s delay.
            .WithEnvironment("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            // Remote JMX for the exporter container: the launch script opens KAFKA_JMX_PORT (JMX and
            // RMI, no auth, no TLS: reachable only on the containers' network).
            .WithEnvironment("KAFKA_JMX_PORT", KafkaBrokerResource.JmxPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KAFKA_JMX_HOSTNAME", name)
            .WithHealthCheck(healthCheckKey);

        if (dataVolume)
        {
            resource.WithVolume($"kafka-o11y-{name}-data", "/var/lib/kafka/data");
        }

        return resource;
    }
}
