namespace KafkaO11y.AppHost.Loki;

/// <summary>Loki 3: takes OTLP logs, keeping trace and span ids as structured metadata.</summary>
public sealed class LokiResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
}

public static class LokiBuilderExtensions
{
    /// <summary>Loki with observability/loki/loki.yaml: OTLP logs and its API on <c>http</c>.</summary>
    public static IResourceBuilder<LokiResource> AddLoki(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new LokiResource(name))
            .WithImage(ContainerImages.Loki)
            .WithFilesFor("/etc/loki", ContainerImages.Loki.User, ObservabilityFiles.PathOf(builder, "loki/loki.yaml"))
            .WithVolume("kafka-o11y-loki-data", "/loki")
            .WithArgs("-config.file=/etc/loki/loki.yaml")
            .WithHttpEndpoint(targetPort: 3100, name: LokiResource.HttpEndpointName)
            .WithHttpHealthCheck("/ready");
}
