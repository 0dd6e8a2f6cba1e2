namespace KafkaO11y.AppHost.OpenTelemetryCollector;

/// <summary>
/// The OpenTelemetry Collector (contrib): OTLP in from the services, broker-side consumer lag and
/// offsets from Kafka (kafka_metrics receiver); traces to Tempo, logs to Loki, metrics to
/// Prometheus, and every signal also to the Aspire dashboard.
/// </summary>
public sealed class OpenTelemetryCollectorResource(string name) : ContainerResource(name)
{
    public const string OtlpGrpcEndpointName = "grpc";
    public const string OtlpHttpEndpointName = "http";
    public const string MetricsEndpointName = "metrics";

    /// <summary>Where the image reads its config (its default <c>--config</c> is <c>config.yaml</c> there).</summary>
    public const string ConfigFolder = "/etc/otelcol-contrib";

    /// <summary>Where its webhookevent receiver takes Alertmanager's notifications (config.yaml).</summary>
    public const int AlertmanagerWebhookPort = 8088;
    public const string AlertmanagerWebhookPath = "/alertmanager";

    /// <summary>The URL, as containers see it, where the collector turns Alertmanager's notifications into logs.</summary>
    public string AlertmanagerWebhookUrl => $"http://{Name}:{AlertmanagerWebhookPort}{AlertmanagerWebhookPath}";
}

public static class OpenTelemetryCollectorBuilderExtensions
{
    private const string OtlpGrpcEndpointName = OpenTelemetryCollectorResource.OtlpGrpcEndpointName;
    private const string OtlpHttpEndpointName = OpenTelemetryCollectorResource.OtlpHttpEndpointName;
    private const string MetricsEndpointName = OpenTelemetryCollectorResource.MetricsEndpointName;

    // The key the Aspire dashboard asks OTLP senders for, as the AppHost configures it.
    private const string DashboardOtlpApiKeySetting = "AppHost:OtlpApiKey";

    /// <summary>The collector with observability/otel-collector/config.yaml, reading Kafka at <paramref name="kafkaBootstrapForContainers"/>.</summary>
    public static IResourceBuilder<OpenTelemetryCollectorResource> AddOpenTelemetryCollector(
        this IDistributedApplicationBuilder builder, string name, ReferenceExpression kafkaBootstrapForContainers)
    {
        return builder.AddResource(new OpenTelemetryCollectorResource(name))
            .WithImage(ContainerImages.OpenTelemetryCollector)
            .WithFilesFor(OpenTelemetryCollectorResource.ConfigFolder, ContainerImages.OpenTelemetryCollector.User, ObservabilityFiles.PathOf(builder, "otel-collector/config.yaml"))
            .WithEndpoint(targetPort: 4317, name: OtlpGrpcEndpointName, scheme: "http")
            .WithEndpoint(targetPort: 4318, name: OtlpHttpEndpointName, scheme: "http")
            .WithHttpEndpoint(targetPort: 13133, name: "health")
            // Its own metrics (otelcol_*), which Prometheus scrapes.
            .WithHttpEndpoint(targetPort: 8888, name: MetricsEndpointName)
            .WithUrlForEndpoint(MetricsEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithUrlForEndpoint(OtlpGrpcEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithUrlForEndpoint(OtlpHttpEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithUrlForEndpoint("health", url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithHttpHealthCheck("/", endpointName: "health")
            .WithEnvironment("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrapForContainers)
            // Aspire's own OTLP wiring gives OTEL_EXPORTER_OTLP_ENDPOINT the dashboard's OTLP/gRPC endpoint
            // as a reference, which DCP resolves for a container through its tunnel, whatever port the
            // dashboard has; config.yaml exports there.
            .WithOtlpExporter(OtlpProtocol.Grpc)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["ASPIRE_DASHBOARD_OTLP_API_KEY"] = builder.Configuration[DashboardOtlpApiKeySetting] ?? "";
                context.EnvironmentVariables["ASPIRE_DASHBOARD_OTLP_INSECURE"] = IsHttps(context.EnvironmentVariables.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT")) ? "false" : "true";
            });
    }

    /// <summary>Whether the dashboard's OTLP endpoint, as Aspire gave it, takes TLS.</summary>
    private static bool IsHttps(object? endpoint) => endpoint switch
    {
        EndpointReference reference => reference.IsHttps,
        HostUrl url => url.Url.StartsWith("https:", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>
    /// Sends a service's telemetry to the collector instead of straight to the Aspire dashboard
    /// (the collector forwards it there too).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTelemetryThrough(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<OpenTelemetryCollectorResource> collector)
    {
        var otlp = collector.GetEndpoint(OtlpGrpcEndpointName);
        // Runs after Aspire's own OTLP settings, so this value wins.
        return service
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            })
            .WaitFor(collector);
    }
}
