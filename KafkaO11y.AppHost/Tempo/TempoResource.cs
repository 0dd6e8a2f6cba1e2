namespace KafkaO11y.AppHost.Tempo;

/// <summary>Tempo: stores traces, and generates service-graph and span metrics into Prometheus.</summary>
public sealed class TempoResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
    public const string OtlpGrpcEndpointName = "otlp-grpc";
}

public static class TempoBuilderExtensions
{
    /// <summary>Tempo 2 with observability/tempo/tempo.yaml: OTLP in, its API and Prometheus metrics on <c>http</c>.</summary>
    public static IResourceBuilder<TempoResource> AddTempo(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new TempoResource(name))
            .WithImage(ContainerImages.Tempo)
            .WithFilesFor("/etc/tempo", ContainerImages.Tempo.User, ObservabilityFiles.PathOf(builder, "tempo/tempo.yaml"))
            // A named volume: the image runs as UID 10001, which owns the volume's copy of /var/tempo.
            .WithVolume("kafka-o11y-tempo-data", "/var/tempo")
            .WithArgs("-config.file=/etc/tempo/tempo.yaml")
            .WithHttpEndpoint(targetPort: 3200, name: TempoResource.HttpEndpointName)
            .WithEndpoint(targetPort: 4317, name: TempoResource.OtlpGrpcEndpointName, scheme: "http")
            .WithUrlForEndpoint(TempoResource.OtlpGrpcEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithHttpHealthCheck("/ready");
}
