using Aspire.Hosting.ApplicationModel;
using KafkaO11y.Tests.Observability;

namespace KafkaO11y.Tests.AppHost;

/// <summary>
/// Every file a container reads arrives as a copy owned by the user its image runs as: nothing is
/// bind-mounted from the checkout, whose file modes (a umask of 077) or SELinux label (Fedora, RHEL
/// with Podman) would keep a non-root process from reading it.
/// </summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class ContainerFilesTests
{
    [Theory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3")]
    [InlineData("--ConnectionStrings:kafka=broker.example:9093", "--KafkaO11y:Kafka:Client:SecurityProtocol=SaslSsl",
        "--KafkaO11y:Kafka:Client:SaslMechanism=ScramSha512", "--KafkaO11y:Kafka:Client:SaslUsername=kafka-o11y", "--Parameters:kafka-sasl-password=x")]
    public async Task Every_file_a_container_reads_is_copied_in_and_owned_by_the_user_its_image_runs_as(params string[] variant)
    {
        await using var run = await RunModeModel.BuildAsync(["--KafkaO11y:Mode=Containers", .. variant]);
        var problems = new List<string>();
        var containers = run.Model.Resources.OfType<ContainerResource>().ToList();
        foreach (var container in containers)
        {
            foreach (var mount in container.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount))
            {
                problems.Add($"{container.Name} bind-mounts {mount.Source} at {mount.Target}");
            }

            var files = await run.FilesAsync(container);
            if (files.Count == 0)
            {
                continue;
            }

            var user = ImageUser(container.Name);
            foreach (var file in files.Where(f => f.Copy is not null))
            {
                if (file.Copy!.Owner != user.Id || file.Copy.Group != user.Group)
                {
                    problems.Add($"{container.Name}: {file.Path} is owned by {file.Copy.Owner}:{file.Copy.Group}; the image runs as {user.Id}:{user.Group}");
                }

                // The owner's read bit is all the process needs; a mode of 0 lets DCP apply its default (0644).
                if (file.Copy.Mode != 0 && !file.Copy.Mode.HasFlag(UnixFileMode.UserRead))
                {
                    problems.Add($"{container.Name}: {file.Path} has mode {file.Copy.Mode}, which its owner cannot read");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // Each config the components read is among the copies (the same paths their arguments and defaults name).
        string[] expected =
        [
            "otel-collector:/etc/otelcol-contrib/config.yaml", "prometheus:/etc/prometheus/prometheus.yml",
            "alertmanager:/etc/alertmanager/alertmanager.yml", "alertmanager:/etc/alertmanager/webhook-url", "tempo:/etc/tempo/tempo.yaml",
            "loki:/etc/loki/loki.yaml", "grafana:/etc/grafana/provisioning/datasources/datasources.yaml",
            "grafana:/var/lib/grafana/dashboards/kafka-cluster.json",
        ];
        var given = new HashSet<string>();
        foreach (var container in containers)
        {
            given.UnionWith((await run.FilesAsync(container)).Select(f => $"{container.Name}:{f.Path}"));
        }

        Assert.All(expected, file => Assert.Contains(file, given));
        if (containers.Any(c => c.Name.EndsWith("-jmx", StringComparison.Ordinal)))
        {
            Assert.Contains(given, f => f.EndsWith("-jmx:/etc/jmx-exporter/kafka-broker-rules.yml", StringComparison.Ordinal));
        }

        if (variant.Any(v => v.Contains("Sasl", StringComparison.Ordinal)))
        {
            Assert.Contains("otel-collector:/etc/otelcol-contrib/kafka-sasl.yaml", given);
        }
    }

    /// <summary>
    /// The user an image runs as, as read from its source at the pinned tag (observability/&lt;component&gt;/upstream-flags.yml),
    /// or from the USER line of the Dockerfile the AppHost builds.
    /// </summary>
    private static (int Id, int Group) ImageUser(string container)
    {
        if (container.EndsWith("-jmx", StringComparison.Ordinal))
        {
            var user = File.ReadLines(Repository.PathOf("observability/jmx-exporter/Dockerfile")).Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];
            return Parse(user);
        }

        var image = Yaml.Load(Repository.PathOf($"observability/{container}/upstream-flags.yml")).Map("image");
        return Parse(image["user"]!.ToString()!);

        // "uid:gid", or "nobody" (65534:65534 in the busybox base the Prometheus images use).
        static (int, int) Parse(string user) => user == "nobody" ? (65534, 65534) : (int.Parse(user.Split(':')[0]), int.Parse(user.Split(':')[1]));
    }
}
