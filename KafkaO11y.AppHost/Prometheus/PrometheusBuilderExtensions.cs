using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;


namespace KafkaO11y.AppHost.Prometheus;

/// <summary>A Prometheus 3, in a container or as a local program, and the folder it reads (<see cref="PrometheusFiles"/>).</summary>
public interface IPrometheusResource : IResourceWithEndpoints
{
    public const string HttpEndpointName = "http";

    PrometheusFiles Files { get; }
}

/// <summary>Prometheus 3 in a container (Containers mode).</summary>
public sealed class PrometheusResource(string name, PrometheusFiles files) : ContainerResource(name), IPrometheusResource
{
    public PrometheusFiles Files { get; } = files;
}

/// <summary>Prometheus 3 as a local program of this machine (Embedded mode).</summary>
public sealed class PrometheusProgramResource(string name, string program, PrometheusFiles files)
    : ExecutableResource(name, program, files.Directory), IPrometheusResource
{
    public PrometheusFiles Files { get; } = files;
}

public static class PrometheusBuilderExtensions
{
    /// <summary>
    /// Looks for Prometheus 3 and Alertmanager (<see cref="PrometheusTools"/>) and says at start
    /// what was found, or what is missing and how to get it.
    /// </summary>
    public static PrometheusTools FindPrometheusTools(this IDistributedApplicationBuilder builder, KafkaO11yOptions options)
    {
        var tools = PrometheusTools.Find(options, ObservabilityFiles.RepositoryRoot(builder));
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaO11y.AppHost.Prometheus");
            if (tools.Prometheus is not null)
            {
                logger.LogInformation(
                    "Prometheus: {Version} at {Path}; it scrapes the services' /metrics{Otlp}",
                    tools.PrometheusVersion, tools.Prometheus,
                    tools.HasOtlpReceiver ? " (its OTLP receiver is on as in the container, unused here)" : " (this build has no OTLP receiver)");
            }

            if (tools.Missing.Count > 0)
            {
                logger.LogWarning(
                    "Embedded mode runs without {Missing}: not found. To get {Them}, {HowToGet}.",
                    string.Join(" and ", tools.Missing), tools.Missing.Count == 1 ? "it" : "them", PrometheusTools.HowToGet);
            }

            return Task.CompletedTask;
        });
        return tools;
    }

    /// <summary>
    /// Prometheus 3 in a container (Containers mode): receives OTLP metrics (from the collector)
    /// and remote writes (Tempo's generator), stores exemplars, scrapes what
    /// <see cref="WithScrapeTarget"/> names, evaluates the alert rules and sends alerts to the
    /// Alertmanager of <see cref="WithAlertmanager"/>.
    /// </summary>
    public static IResourceBuilder<PrometheusResource> AddPrometheus(this IDistributedApplicationBuilder builder, string name)
    {
        var files = builder.CreatePrometheusFiles(name);
        files.AddStaticTarget("prometheus", new TargetGroup("localhost:9090"));

        return builder.AddResource(new PrometheusResource(name, files))
            .WithImage(ContainerImages.Prometheus)
            .WithAnnotation(new RunFolderAnnotation(files.Directory))
            .WithFilesFor("/etc/prometheus", ContainerImages.Prometheus.User, files.Directory)
            // Overriding the arguments replaces the image's default command: config and storage are given again.
            .WithVolume("kafka-o11y-prometheus-data", "/prometheus")
            .WithArgs(
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                "--web.enable-otlp-receiver",
                "--web.enable-remote-write-receiver",
                "--enable-feature=exemplar-storage")
            .WithHttpEndpoint(targetPort: 9090, name: "http")
            .WithPrometheusLinks(hasWebUi: true)
            .WithHttpHealthCheck("/-/ready");
    }

    /// <summary>
    /// Prometheus 3 as a local program (Embedded mode, when <paramref name="tools"/> found one):
    /// the same prometheus.yml and rules as the container, in a folder of its own; it scrapes the
    /// services of <see cref="WithServiceScrapeTargets"/> and itself.
    /// </summary>
    public static IResourceBuilder<PrometheusProgramResource> AddPrometheusProgram(
        this IDistributedApplicationBuilder builder, string name, PrometheusTools tools)
    {
        var program = tools.Prometheus ?? throw new ArgumentException("No Prometheus 3 was found.", nameof(tools));
        var files = builder.CreatePrometheusFiles(name);
        var port = RunFolders.FreeLoopbackPort();
        files.AddStaticTarget("prometheus", new TargetGroup($"127.0.0.1:{port}"));

        List<string> arguments =
        [
            $"--config.file={files.ConfigFile}",
            $"--storage.tsdb.path={Path.Combine(files.Directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            $"--web.external-url=http://localhost:{port}",
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ];
        if (tools.HasOtlpReceiver)
        {
            arguments.Add("--web.enable-otlp-receiver");
        }

        if (tools.WebAssets is not null)
        {
            arguments.Add($"--web.local-assets={tools.WebAssets}");
        }

        return builder.AddResource(new PrometheusProgramResource(name, program, files))
            .WithArgs([.. arguments])
            .WithAnnotation(new RunFolderAnnotation(files.Directory))
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithPrometheusLinks(tools.HasWebUi)
            .WithHttpHealthCheck("/-/ready");
    }

    /// <summary>Adds a target that never moves, such as a container by name: <c>otel-collector:8888</c>.</summary>
    public static IResourceBuilder<T> WithScrapeTarget<T>(this IResourceBuilder<T> prometheus, string job, string address)
        where T : IPrometheusResource
    {
        prometheus.Resource.Files.AddStaticTarget(job, new TargetGroup(address));
        return prometheus;
    }

    /// <summary>Adds a container's endpoint (its name and the port it listens on) as a target.</summary>
    public static IResourceBuilder<T> WithScrapeTarget<T>(
        this IResourceBuilder<T> prometheus, string job, IResourceBuilder<ContainerResource> container, string endpointName = "http")
        where T : IPrometheusResource
    {
        prometheus.Resource.Files.AddStaticTarget(job, new TargetGroup(AddressOf(container.Resource, endpointName)));
        return prometheus;
    }

    /// <summary>
    /// Scrapes the services' <c>/metrics</c> (job <c>services</c>), one target per replica, labelled
    /// as Prometheus labels their OTLP pushes: <c>job</c> = service name, <c>instance</c> = service
    /// instance id. Turns the services' scrape endpoint on, serving as labels the resource
    /// attributes prometheus.yml promotes on the OTLP path.
    /// </summary>
    public static IResourceBuilder<PrometheusProgramResource> WithServiceScrapeTargets(
        this IResourceBuilder<PrometheusProgramResource> prometheus, params IResourceBuilder<ProjectResource>[] services)
    {
        var files = prometheus.Resource.Files;
        foreach (var service in services)
        {
            service.WithEnvironment("PrometheusScraping__Enabled", "true");
            foreach (var (attribute, index) in files.PromotedResourceAttributes.Select((a, i) => (a, i)))
            {
                service.WithEnvironment($"PrometheusScraping__ResourceAttributes__{index}", attribute);
            }
        }

        var targets = new ServiceScrapeTargets(files, [.. services.Select(s => s.Resource)]);
        prometheus.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(prometheus.Resource);
            Task.Run(() => targets.FollowAsync(notifications, logger, stopping), stopping);
            return Task.CompletedTask;
        });
        return prometheus;
    }

    /// <summary>Sends alerts to <paramref name="alertmanager"/>'s <c>http</c> endpoint.</summary>
    public static IResourceBuilder<T> WithAlertmanager<T, TAlertmanager>(this IResourceBuilder<T> prometheus, IResourceBuilder<TAlertmanager> alertmanager)
        where T : IPrometheusResource
        where TAlertmanager : IAlertmanagerResource
    {
        prometheus.Resource.Files.SetAlertmanagers([new TargetGroup(AddressOf(alertmanager.Resource, IAlertmanagerResource.HttpEndpointName))]);
        return prometheus;
    }

    /// <summary>
    /// Where a Prometheus reaches a resource's endpoint: a container by its name on the
    /// containers' network, a local program on loopback; either at the port it listens on.
    /// </summary>
    private static string AddressOf(IResource resource, string endpointName)
    {
        var port = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpointName).TargetPort;
        return resource is ContainerResource ? $"{resource.Name}:{port}" : $"127.0.0.1:{port}";
    }

    /// <summary>The folder a Prometheus reads.</summary>
    public static PrometheusFiles PrometheusFiles(this IResource prometheus) =>
        (prometheus as IPrometheusResource)?.Files
        ?? throw new InvalidOperationException($"{prometheus.Name} is not a Prometheus added by AddPrometheus or AddPrometheusProgram.");

    private static PrometheusFiles CreatePrometheusFiles(this IDistributedApplicationBuilder builder, string name)
    {
        var directory = builder.CreateRunFolder(name);
        return Prometheus.PrometheusFiles.Create(ObservabilityFiles.PathOf(builder, "prometheus"), directory);
    }

    /// <summary>
    /// Links on the Aspire dashboard: the query and alerts pages, or where the build has no web UI
    /// (Debian's), the same through the HTTP API, which a browser shows as JSON.
    /// </summary>
    private static IResourceBuilder<T> WithPrometheusLinks<T>(this IResourceBuilder<T> prometheus, bool hasWebUi)
        where T : IResourceWithEndpoints
    {
        var endpoint = prometheus.GetEndpoint("http");
        prometheus.WithUrlForEndpoint("http", url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly);
        return hasWebUi
            ? prometheus
                .WithUrl(ReferenceExpression.Create($"{endpoint}/query"), "Prometheus")
                .WithUrl(ReferenceExpression.Create($"{endpoint}/alerts"), "Prometheus alerts")
            : prometheus
                .WithUrl(ReferenceExpression.Create($"{endpoint}/api/v1/alerts"), "Prometheus alerts (API)")
                .WithUrl(ReferenceExpression.Create($"{endpoint}/api/v1/targets?state=active"), "Scrape targets (API)");
    }
}
