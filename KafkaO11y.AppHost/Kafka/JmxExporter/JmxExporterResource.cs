
namespace KafkaO11y.AppHost.Kafka.JmxExporter;

/// <summary>A Prometheus JMX exporter reading one broker's MBeans over remote JMX.</summary>
public sealed class JmxExporterResource(string name, KafkaBrokerResource broker) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";

    public KafkaBrokerResource Broker { get; } = broker;
}

public static class JmxExporterBuilderExtensions
{
    /// <summary>
    /// A JMX exporter for one broker, built from <c>observability/jmx-exporter/Dockerfile</c>
    /// (the project publishes no image): it reads the broker's MBeans over remote JMX and serves
    /// them to Prometheus with the rules of <c>kafka-broker-rules.yml</c>.
    /// </summary>
    public static IResourceBuilder<JmxExporterResource> AddJmxExporter(
        this IDistributedApplicationBuilder builder, IResourceBuilder<KafkaBrokerResource> broker) =>
        builder.AddResource(new JmxExporterResource($"{broker.Resource.Name}-jmx", broker.Resource))
            // Built here, so the image name is the build's own (WithDockerfile replaces this one).
            .WithImage("placeholder")
            .WithDockerfile(ObservabilityFiles.PathOf(builder, "jmx-exporter"))
            .WithEnvironment("JMX_HOST_PORT", broker.Resource.JmxAddress)
            .WithFilesFor("/etc/jmx-exporter", ContainerImages.JmxExporterUser, ObservabilityFiles.PathOf(builder, "jmx-exporter/kafka-broker-rules.yml"))
            .WithHttpEndpoint(targetPort: 5556, name: JmxExporterResource.HttpEndpointName)
            .WithUrlForEndpoint(JmxExporterResource.HttpEndpointName, url => url.DisplayText = "Broker metrics")
            // The exporter's own liveness endpoint: /metrics would run a whole remote JMX scrape each time.
            .WithHttpHealthCheck("/-/healthy")
            .WaitFor(broker);
}
