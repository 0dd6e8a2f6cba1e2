
namespace KafkaO11y.AppHost.Kafka.KafkaUi;

/// <summary>Kafka UI (kafbat): topics, messages with their headers, consumer groups, the brokers' JMX metrics.</summary>
public sealed class KafkaUiResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
}

public static class KafkaUiBuilderExtensions
{
    /// <summary>Kafka UI on the cluster's listener for containers, with each broker's JMX where the AppHost runs the brokers.</summary>
    public static IResourceBuilder<KafkaUiResource> AddKafkaUi(this IDistributedApplicationBuilder builder, string name, KafkaCluster kafka)
    {
        var ui = builder.AddResource(new KafkaUiResource(name))
            .WithImage(ContainerImages.KafkaUi)
            .WithEnvironment("KAFKA_CLUSTERS_0_NAME", "kafka-o11y")
            .WithEnvironment("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", kafka.BootstrapForContainers)
            .WithEnvironment("DYNAMIC_CONFIG_ENABLED", "false")
            .WithHttpEndpoint(targetPort: 8080, name: KafkaUiResource.HttpEndpointName)
            .WithUrlForEndpoint(KafkaUiResource.HttpEndpointName, url => url.DisplayText = "Kafka UI")
            .WithHttpHealthCheck("/actuator/health")
            .WaitFor(kafka.Connection);
        if (kafka.Brokers.Count > 0)
        {
            // Every broker opens remote JMX on the same port (KAFKA_JMX_PORT).
            ui.WithEnvironment("KAFKA_CLUSTERS_0_METRICS_PORT", KafkaBrokerResource.JmxPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithEnvironment("KAFKA_CLUSTERS_0_METRICS_TYPE", "JMX");
        }

        return ui;
    }
}
