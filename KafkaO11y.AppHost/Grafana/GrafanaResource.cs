
namespace KafkaO11y.AppHost.Grafana;

/// <summary>Grafana with the project's datasources and dashboards.</summary>
public sealed class GrafanaResource(string name) : ContainerResource(name)
{
    public const string HttpEndpointName = "http";
}

public static class GrafanaBuilderExtensions
{
    /// <summary>
    /// Grafana with the three datasources linked to each other and the dashboards of
    /// <c>observability/grafana/dashboards</c>. Visitors need no login and are Editors: Explore, and with it
    /// every link from an exemplar to its trace, a trace to its logs and a log line to its trace, is
    /// granted to Editor, never to a Viewer. Like every port of the stack, Grafana's is published on this
    /// machine's loopback only. No volume: everything it shows is provisioned from the repository at
    /// each start, and the admin password (a secret parameter) is always the parameter's, where a
    /// kept database would hold the password of its first start.
    /// </summary>
    public static IResourceBuilder<GrafanaResource> AddGrafana(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> adminPassword,
        IResourceBuilder<PrometheusResource> prometheus, IResourceBuilder<TempoResource> tempo, IResourceBuilder<LokiResource> loki) =>
        builder.AddResource(new GrafanaResource(name))
            .WithImage(ContainerImages.Grafana)
            .WithFilesFor("/etc/grafana/provisioning", ContainerImages.Grafana.User, ObservabilityFiles.PathOf(builder, "grafana/provisioning"))
            .WithFilesFor("/var/lib/grafana/dashboards", ContainerImages.Grafana.User, ObservabilityFiles.PathOf(builder, "grafana/dashboards"))
            .WithEnvironment("GF_SECURITY_ADMIN_USER", "admin")
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "true")
            .WithEnvironment("GF_AUTH_ANONYMOUS_ORG_ROLE", "Editor")
            .WithHttpEndpoint(targetPort: 3000, name: GrafanaResource.HttpEndpointName)
            .WithUrlForEndpoint(GrafanaResource.HttpEndpointName, url => url.DisplayText = "Grafana")
            .WithHttpHealthCheck("/api/health")
            // datasources.yaml names them: prometheus:9090, tempo:3200, loki:3100.
            .WaitFor(prometheus).WaitFor(tempo).WaitFor(loki);
}
