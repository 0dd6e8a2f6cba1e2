
namespace KafkaO11y.AppHost.Alertmanager;

/// <summary>An Alertmanager, in a container or as a local program.</summary>
public interface IAlertmanagerResource : IResourceWithEndpoints
{
    public const string HttpEndpointName = "http";
}

/// <summary>Alertmanager in a container (Containers mode).</summary>
public sealed class AlertmanagerResource(string name) : ContainerResource(name), IAlertmanagerResource;

/// <summary>Alertmanager as a local program of this machine (Embedded mode).</summary>
public sealed class AlertmanagerProgramResource(string name, string program, string workingDirectory)
    : ExecutableResource(name, program, workingDirectory), IAlertmanagerResource;

public static class AlertmanagerBuilderExtensions
{
    /// <summary>Where alertmanager.yml expects its files: the container's config folder.</summary>
    private const string ContainerConfigFolder = "/etc/alertmanager";

    /// <summary>
    /// Alertmanager in a container (Containers mode): one route, notifications posted to the
    /// collector's webhook receiver, so they become logs.
    /// </summary>
    public static IResourceBuilder<AlertmanagerResource> AddAlertmanager(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<OpenTelemetryCollectorResource> collector)
    {
        var folder = builder.LayOutAlertmanagerFolder(name, collector.Resource.AlertmanagerWebhookUrl, seenAt: ContainerConfigFolder);
        return builder.AddResource(new AlertmanagerResource(name))
            .WithImage(ContainerImages.Alertmanager)
            .WithAnnotation(new RunFolderAnnotation(folder))
            .WithFilesFor(ContainerConfigFolder, ContainerImages.Alertmanager.User, folder)
            .WithVolume("kafka-o11y-alertmanager-data", "/alertmanager")
            .WithArgs(
                $"--config.file={ContainerConfigFolder}/alertmanager.yml",
                "--storage.path=/alertmanager",
                // One instance: no gossip port, no cluster peers to wait for.
                "--cluster.listen-address=")
            .WithHttpEndpoint(targetPort: 9093, name: IAlertmanagerResource.HttpEndpointName)
            .WithAlertmanagerLinks(hasWebUi: true)
            .WithHttpHealthCheck("/-/ready");
    }

    /// <summary>
    /// Alertmanager as a local program (Embedded mode): the same alertmanager.yml, notifications
    /// posted to <paramref name="receiver"/>, which shows them on the Aspire dashboard.
    /// </summary>
    public static IResourceBuilder<AlertmanagerProgramResource> AddAlertmanagerProgram(
        this IDistributedApplicationBuilder builder, string name, PrometheusTools tools, IResourceBuilder<AlertReceiverResource> receiver)
    {
        var program = tools.Alertmanager ?? throw new ArgumentException("No Alertmanager was found.", nameof(tools));
        var folder = builder.LayOutAlertmanagerFolder(name, receiver.Resource.WebhookUrl, seenAt: null);
        var port = RunFolders.FreeLoopbackPort();
        return builder.AddResource(new AlertmanagerProgramResource(name, program, folder))
            .WithArgs(
                $"--config.file={Path.Combine(folder, "alertmanager.yml")}",
                $"--storage.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                $"--web.external-url=http://localhost:{port}",
                "--cluster.listen-address=")
            .WithAnnotation(new RunFolderAnnotation(folder))
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithAlertmanagerLinks(tools.AlertmanagerHasWebUi)
            // Not WaitFor(receiver): its state counts the firing alerts instead of saying "Running",
            // and Alertmanager retries a notification the receiver was not there to take.
            .WithHttpHealthCheck("/-/ready")
            .WithRelationship(receiver.Resource, "Notifies");
    }

    /// <summary>
    /// Lays out a new folder with alertmanager.yml and the webhook-url file it reads. Only the
    /// paths differ from observability/alertmanager: <c>/etc/alertmanager/</c> becomes
    /// <paramref name="seenAt"/>, where the program sees the folder (null: where it is).
    /// </summary>
    private static string LayOutAlertmanagerFolder(this IDistributedApplicationBuilder builder, string name, string webhookUrl, string? seenAt)
    {
        var folder = builder.CreateRunFolder(name);
        var config = File.ReadAllText(ObservabilityFiles.PathOf(builder, "alertmanager/alertmanager.yml"))
            .Replace($"{ContainerConfigFolder}/", $"{seenAt ?? folder}/", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "alertmanager.yml"), config);
        File.WriteAllText(Path.Combine(folder, "webhook-url"), webhookUrl);
        return folder;
    }

    /// <summary>Its UI where the build has one (Debian's has not), and its alerts through the API.</summary>
    private static IResourceBuilder<T> WithAlertmanagerLinks<T>(this IResourceBuilder<T> alertmanager, bool hasWebUi)
        where T : IResourceWithEndpoints =>
        alertmanager
            .WithUrlForEndpoint("http", url =>
            {
                url.DisplayText = "Alertmanager";
                url.DisplayLocation = hasWebUi ? UrlDisplayLocation.SummaryAndDetails : UrlDisplayLocation.DetailsOnly;
            })
            .WithUrl(ReferenceExpression.Create($"{alertmanager.GetEndpoint("http")}/api/v2/alerts"), "Alertmanager alerts (API)");
}
