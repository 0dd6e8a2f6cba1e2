namespace KafkaO11y.AppHost;

/// <summary>
/// Every container image the AppHost runs, pinned to an explicit tag (never <c>latest</c>), with the
/// user it runs as (observability/&lt;component&gt;/upstream-flags.yml says where each was read).
/// </summary>
public static class ContainerImages
{
    // Busybox's nobody, as the Prometheus images run.
    private static readonly ImageUser Nobody = new(65534, 65534);

    // The Kafka and Kafka UI images fix no uid (BusyBox's adduser picks one); they are given no files.
    public static readonly ContainerImage Kafka = new("docker.io", "apache/kafka", "4.3.1", User: null);
    public static readonly ContainerImage OpenTelemetryCollector = new("docker.io", "otel/opentelemetry-collector-contrib", "0.159.0", new ImageUser(10001, 10001));
    public static readonly ContainerImage Prometheus = new("docker.io", "prom/prometheus", "v3.14.0", Nobody);
    public static readonly ContainerImage Alertmanager = new("docker.io", "prom/alertmanager", "v0.33.1", Nobody);
    public static readonly ContainerImage Tempo = new("docker.io", "grafana/tempo", "2.10.8", new ImageUser(10001, 10001));
    public static readonly ContainerImage Loki = new("docker.io", "grafana/loki", "3.7.6", new ImageUser(10001, 10001));
    public static readonly ContainerImage Grafana = new("docker.io", "grafana/grafana", "13.2.2", new ImageUser(472, 0));
    public static readonly ContainerImage KafkaUi = new("docker.io", "kafbat/kafka-ui", "v1.5.0", User: null);

    /// <summary>The JMX exporter's image, built from observability/jmx-exporter/Dockerfile (its USER).</summary>
    public static readonly ImageUser JmxExporterUser = new(10001, 10001);

    public static IReadOnlyList<ContainerImage> Pinned { get; } =
        [Kafka, OpenTelemetryCollector, Prometheus, Alertmanager, Tempo, Loki, Grafana, KafkaUi];

    /// <summary>
    /// Every image Containers mode needs from a registry: the pinned ones, and the bases of the
    /// images it builds (observability/jmx-exporter/Dockerfile), fully qualified.
    /// </summary>
    public static IReadOnlyList<string> NeededFromRegistry(string repositoryRoot)
    {
        var dockerfile = Path.Combine(repositoryRoot, "observability", "jmx-exporter", "Dockerfile");
        var bases = File.ReadLines(dockerfile)
            .Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[0].Equals("FROM", StringComparison.OrdinalIgnoreCase))
            .Select(words => Qualified(words[1]));
        return [.. Pinned.Select(image => image.Reference), .. bases.Distinct()];
    }

    /// <summary>Docker Hub's names in full (<c>eclipse-temurin:21</c> is <c>docker.io/library/eclipse-temurin:21</c>), as Podman needs them.</summary>
    private static string Qualified(string image)
    {
        var slash = image.IndexOf('/');
        if (slash < 0)
        {
            return $"docker.io/library/{image}";
        }

        var first = image[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? image : $"docker.io/{image}";
    }
}

/// <summary>A container image by registry, name and tag, and the user its process runs as.</summary>
public sealed record ContainerImage(string Registry, string Image, string Tag, ImageUser? User)
{
    public string Reference => $"{Registry}/{Image}:{Tag}";
}

/// <summary>The numeric user and group a container's process runs as.</summary>
public sealed record ImageUser(int Id, int Group);

public static class ContainerImageExtensions
{
    /// <summary>Runs the pinned <paramref name="image"/> in a custom container resource.</summary>
    public static IResourceBuilder<T> WithImage<T>(this IResourceBuilder<T> container, ContainerImage image)
        where T : ContainerResource =>
        container.WithImage(image.Image, image.Tag).WithImageRegistry(image.Registry);
}

public static class ContainerFilesExtensions
{
    /// <summary>
    /// Copies files of the host (a folder's whole content, or single files) into <paramref name="destination"/>
    /// in the container when it is created, owned by the user the image runs as. Unlike a bind mount,
    /// they arrive readable whatever the checkout's file modes (a umask of 077) or its SELinux label.
    /// Read when the container is created, so a folder the AppHost lays out is complete by then.
    /// </summary>
    public static IResourceBuilder<T> WithFilesFor<T>(this IResourceBuilder<T> container, string destination, ImageUser? user, params string[] sources)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(user, $"the user of {container.Resource.Name}'s image");
        return container.WithContainerFiles(
            destination,
            (_, _) => Task.FromResult(sources.SelectMany(source => ContainerDirectory.GetFileSystemItemsFromPath(source, "*", SearchOption.AllDirectories))),
            user.Id,
            user.Group);
    }
}
