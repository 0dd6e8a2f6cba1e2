namespace KafkaO11y.AppHost.Observability;

public static class OpenTelemetryCollectorBuilderExtensions
{
    public const string OtlpGrpcEndpointName = "grpc";
    public const string OtlpHttpEndpointName = "http";
    public const string MetricsEndpointName = "metrics";

    /// <summary>Where its webhookevent receiver takes Alertmanager's notifications (config.yaml).</summary>
    public const int AlertmanagerWebhookPort = 8088;
    public const string AlertmanagerWebhookPath = "/alertmanager";

    // Where the Aspire dashboard receives OTLP and with which key, as the AppHost configures it.
    private const string DashboardOtlpUrlSetting = "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL";
    private const string DashboardOtlpApiKeySetting = "AppHost:OtlpApiKey";
    private const string DashboardOtlpUrlDefault = "http://localhost:18889";

    /// <summary>
    /// The OpenTelemetry Collector (contrib): OTLP in from the services, broker-side consumer lag
    /// and offsets from Kafka (kafka_metrics receiver); traces to Tempo, logs to Loki, metrics to
    /// Prometheus, and every signal also to the Aspire dashboard.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddOpenTelemetryCollector(
        this IDistributedApplicationBuilder builder, string name, ReferenceExpression kafkaBootstrapForContainers)
    {
        var dashboardUrl = builder.Configuration[DashboardOtlpUrlSetting] ?? DashboardOtlpUrlDefault;
        var dashboardIsHttps = dashboardUrl.StartsWith("https", StringComparison.OrdinalIgnoreCase);

        return builder.AddContainer(name, ContainerImages.OpenTelemetryCollector)
            .WithBindMount(ObservabilityFiles.PathOf(builder, "otel-collector/config.yaml"), "/etc/otelcol-contrib/config.yaml", isReadOnly: true)
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
            // HostUrl turns the dashboard's localhost address into one a container can reach.
            .WithEnvironment("ASPIRE_DASHBOARD_OTLP_ENDPOINT", ReferenceExpression.Create($"{new HostUrl(dashboardUrl)}"))
            .WithEnvironment("ASPIRE_DASHBOARD_OTLP_API_KEY", builder.Configuration[DashboardOtlpApiKeySetting] ?? "")
            .WithEnvironment("ASPIRE_DASHBOARD_OTLP_INSECURE", dashboardIsHttps ? "false" : "true");
    }

    /// <summary>The URL, as containers see it, where the collector turns Alertmanager's notifications into logs.</summary>
    public static string AlertmanagerWebhookUrl(this IResourceBuilder<ContainerResource> collector) =>
        $"http://{collector.Resource.Name}:{AlertmanagerWebhookPort}{AlertmanagerWebhookPath}";

    /// <summary>
    /// Sends a service's telemetry to the collector instead of straight to the Aspire dashboard
    /// (the collector forwards it there too).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTelemetryThrough(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ContainerResource> collector)
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
