namespace KafkaO11y.AppHost;

/// <summary>Every container image the AppHost runs, pinned to an explicit tag (never <c>latest</c>).</summary>
public static class ContainerImages
{
    public static readonly ContainerImage Kafka = new("docker.io", "apache/kafka", "4.3.1");
    public static readonly ContainerImage OpenTelemetryCollector = new("docker.io", "otel/opentelemetry-collector-contrib", "0.159.0");
    public static readonly ContainerImage Prometheus = new("docker.io", "prom/prometheus", "v3.14.0");
    public static readonly ContainerImage Alertmanager = new("docker.io", "prom/alertmanager", "v0.33.1");
    public static readonly ContainerImage Tempo = new("docker.io", "grafana/tempo", "2.10.8");
    public static readonly ContainerImage Loki = new("docker.io", "grafana/loki", "3.7.6");
    public static readonly ContainerImage Grafana = new("docker.io", "grafana/grafana", "13.2.2");
    public static readonly ContainerImage KafkaUi = new("docker.io", "kafbat/kafka-ui", "v1.5.0");
}

/// <summary>A container image by registry, name and tag.</summary>
public sealed record ContainerImage(string Registry, string Image, string Tag);

public static class ContainerImageExtensions
{
    /// <summary>Adds a container running the pinned <paramref name="image"/>.</summary>
    public static IResourceBuilder<ContainerResource> AddContainer(
        this IDistributedApplicationBuilder builder, string name, ContainerImage image) =>
        builder.AddContainer(name, image.Image, image.Tag).WithImageRegistry(image.Registry);

    /// <summary>Runs the pinned <paramref name="image"/> in a custom container resource.</summary>
    public static IResourceBuilder<T> WithImage<T>(this IResourceBuilder<T> container, ContainerImage image)
        where T : ContainerResource =>
        container.WithImage(image.Image, image.Tag).WithImageRegistry(image.Registry);
}
