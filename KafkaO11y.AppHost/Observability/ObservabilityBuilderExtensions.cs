using KafkaO11y.AppHost.KafkaContainers;

namespace KafkaO11y.AppHost.Observability;

/// <summary>
/// The observability containers of Containers mode. Each mounts its configuration from
/// <c>observability/&lt;component&gt;/</c>; containers reach each other by resource name.
/// </summary>
public static class ObservabilityBuilderExtensions
{
    /// <summary>Tempo: stores traces and generates service-graph and span metrics into Prometheus.</summary>
    public static IResourceBuilder<ContainerResource> AddTempo(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddContainer(name, ContainerImages.Tempo)
            .WithFilesFor("/etc/tempo", ContainerImages.Tempo.User, ObservabilityFiles.PathOf(builder, "tempo/tempo.yaml"))
            // A named volume: the image runs as UID 10001, which owns the volume's copy of /var/tempo.
            .WithVolume("kafka-o11y-tempo-data", "/var/tempo")
            .WithArgs("-config.file=/etc/tempo/tempo.yaml")
            .WithHttpEndpoint(targetPort: 3200, name: "http")
            .WithEndpoint(targetPort: 4317, name: "otlp-grpc", scheme: "http")
            .WithUrlForEndpoint("otlp-grpc", url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithHttpHealthCheck("/ready");

    /// <summary>Loki 3: takes OTLP logs, keeping trace and span ids as structured metadata.</summary>
    public static IResourceBuilder<ContainerResource> AddLoki(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddContainer(name, ContainerImages.Loki)
            .WithFilesFor("/etc/loki", ContainerImages.Loki.User, ObservabilityFiles.PathOf(builder, "loki/loki.yaml"))
            .WithVolume("kafka-o11y-loki-data", "/loki")
            .WithArgs("-config.file=/etc/loki/loki.yaml")
            .WithHttpEndpoint(targetPort: 3100, name: "http")
            .WithHttpHealthCheck("/ready");

    /// <summary>
    /// Grafana with the three datasources linked to each other and the dashboards of
    /// <c>observability/grafana/dashboards</c>. Visitors need no login and are Editors: Explore, and with it
    /// every link from an exemplar to its trace, a trace to its logs and a log line to its trace, is
    /// granted to Editor, never to a Viewer. Like every port of the stack, Grafana's is published on this
    /// machine's loopback only. No volume: everything it shows is provisioned from the repository at
    /// each start, and the admin password (a secret parameter) is always the parameter's, where a
    /// kept database would hold the password of its first start.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddGrafana(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> adminPassword,
        params IResourceBuilder<ContainerResource>[] datasources)
    {
        var grafana = builder.AddContainer(name, ContainerImages.Grafana)
            .WithFilesFor("/etc/grafana/provisioning", ContainerImages.Grafana.User, ObservabilityFiles.PathOf(builder, "grafana/provisioning"))
            .WithFilesFor("/var/lib/grafana/dashboards", ContainerImages.Grafana.User, ObservabilityFiles.PathOf(builder, "grafana/dashboards"))
            .WithEnvironment("GF_SECURITY_ADMIN_USER", "admin")
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "true")
            .WithEnvironment("GF_AUTH_ANONYMOUS_ORG_ROLE", "Editor")
            .WithHttpEndpoint(targetPort: 3000, name: "http")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Grafana")
            .WithHttpHealthCheck("/api/health");
        foreach (var datasource in datasources)
        {
            grafana.WaitFor(datasource);
        }

        return grafana;
    }

    /// <summary>
    /// A JMX exporter for one broker, built from <c>observability/jmx-exporter/Dockerfile</c>
    /// (the project publishes no image): it reads the broker's MBeans over remote JMX and serves
    /// them to Prometheus with the rules of <c>kafka-broker-rules.yml</c>.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddJmxExporter(
        this IDistributedApplicationBuilder builder, IResourceBuilder<KafkaBrokerResource> broker) =>
        builder.AddDockerfile($"{broker.Resource.Name}-jmx", ObservabilityFiles.PathOf(builder, "jmx-exporter"))
            .WithEnvironment("JMX_HOST_PORT", broker.Resource.JmxAddress)
            .WithFilesFor("/etc/jmx-exporter", ContainerImages.JmxExporterUser, ObservabilityFiles.PathOf(builder, "jmx-exporter/kafka-broker-rules.yml"))
            .WithHttpEndpoint(targetPort: 5556, name: "http")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Broker metrics")
            // The exporter's own liveness endpoint: /metrics would run a whole remote JMX scrape each time.
            .WithHttpHealthCheck("/-/healthy")
            .WaitFor(broker);

    /// <summary>
    /// Kafka UI (kafbat) to browse topics, messages and consumer groups, with the brokers' JMX metrics.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddKafkaUi(
        this IDistributedApplicationBuilder builder, string name, KafkaCluster kafka)
    {
        var ui = builder.AddContainer(name, ContainerImages.KafkaUi)
            .WithEnvironment("KAFKA_CLUSTERS_0_NAME", "kafka-o11y")
            .WithEnvironment("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", kafka.BootstrapForContainers)
            .WithEnvironment("DYNAMIC_CONFIG_ENABLED", "false")
            .WithHttpEndpoint(targetPort: 8080, name: "http")
            .WithUrlForEndpoint("http", url => url.DisplayText = "Kafka UI")
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
