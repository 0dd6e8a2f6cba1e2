using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting;
using KafkaO11y.AppHost.Alertmanager;
using KafkaO11y.AppHost.Kafka.Containers;
using KafkaO11y.AppHost.Kafka;
using KafkaO11y.AppHost.Prometheus;
using KafkaO11y.Tests.Observability;
using static KafkaO11y.Tests.Support.AppModel;

namespace KafkaO11y.Tests.AppHost;

/// <summary>
/// Containers mode, proven without a container runtime: the AppHost's model is built (not started)
/// and every container in it is checked for what would make it fail or mislead at run time.
/// </summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class ContainersModelTests(AppHostModels models)
{
    private static readonly string[] ObservabilityComponents = ["otel-collector", "prometheus", "alertmanager", "tempo", "loki", "grafana"];

    [Fact]
    public async Task Every_component_of_the_topology_is_a_resource()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");

        Assert.Equal(
            ["alertmanager", "consumer", "grafana", "grafana-admin-password", "kafka", "kafka-jmx", "kafka-topics", "kafka-ui", "loki", "otel-collector", "producer", "prometheus", "tempo"],
            AppModel.ResourceNames(model));
        Assert.IsType<KafkaBrokerResource>(model.Resources.Single(r => r.Name == "kafka"));
    }

    [Theory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3")]
    [InlineData("--ConnectionStrings:kafka=broker.example:9092")]
    public async Task Brokers_create_no_topic_on_first_use_and_the_services_start_after_the_topics_step(string cluster)
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", cluster);

        // "kafka": the one broker, the connection over several, or the external cluster.
        AppModel.AssertServicesStartAfterTheTopics(model, model.Resources.Single(r => r.Name == "kafka"));
        foreach (var broker in model.Resources.OfType<KafkaBrokerResource>())
        {
            var environment = await Environment(model, broker.Name);
            Assert.Equal("false", environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]);
            Assert.False(environment.ContainsKey("KAFKA_NUM_PARTITIONS"), "every topic is created with its own partitions");
        }
    }

    [Theory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3")]
    public async Task Every_image_has_an_explicit_tag_and_none_is_latest(string brokers)
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", brokers);

        foreach (var container in model.Resources.OfType<ContainerResource>())
        {
            if (container.Annotations.OfType<DockerfileBuildAnnotation>().SingleOrDefault() is { } build)
            {
                // Built here: every base image of its Dockerfile is pinned instead.
                var fromLines = File.ReadAllLines(build.DockerfilePath).Where(l => l.TrimStart().StartsWith("FROM ", StringComparison.OrdinalIgnoreCase)).ToList();
                Assert.NotEmpty(fromLines);
                Assert.All(fromLines, from => AssertPinned(container.Name, from.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
                continue;
            }

            var image = container.Annotations.OfType<ContainerImageAnnotation>().Single();
            Assert.False(string.IsNullOrEmpty(image.Tag), $"{container.Name}: image '{image.Image}' has no tag.");
            AssertPinned(container.Name, $"{image.Image}:{image.Tag}");
        }
    }

    /// <summary>The collector's export to the dashboard is resolved at run time: Wiring/ContainersWiringTests.</summary>
    [Fact]
    public async Task Services_send_their_telemetry_to_the_collector()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");

        foreach (var service in new[] { "producer", "consumer" })
        {
            var environment = await Environment(model, service);
            Assert.Equal("{otel-collector.bindings.grpc.url}", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("{kafka.connectionString}", environment["ConnectionStrings__kafka"]);
        }

        Assert.Equal("kafka:9093", (await Environment(model, "otel-collector"))["KAFKA_BOOTSTRAP_SERVERS"]);
    }

    [Fact]
    public async Task Grafana_takes_its_admin_password_from_a_secret_parameter_at_every_start_and_lets_visitors_explore()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");

        var grafana = model.Resources.Single(r => r.Name == "grafana");
        var environment = await Environment(model, "grafana");
        Assert.Equal("{grafana-admin-password.value}", environment["GF_SECURITY_ADMIN_PASSWORD"]);
        Assert.True(model.Resources.OfType<ParameterResource>().Single(p => p.Name == "grafana-admin-password").Secret);
        Assert.Equal("true", environment["GF_AUTH_ANONYMOUS_ENABLED"]);
        // Editor: Grafana grants Explore (every link between traces, logs and metrics) to Editor, never to a Viewer.
        Assert.Equal("Editor", environment["GF_AUTH_ANONYMOUS_ORG_ROLE"]);
        // No kept database, so the admin password is always the parameter's.
        Assert.DoesNotContain(grafana.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/var/lib/grafana");
        Assert.Contains(grafana.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "prometheus");
    }

    [Fact]
    public async Task Three_brokers_form_one_KRaft_quorum_with_replication_three_and_an_exporter_each()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", "--KafkaO11y:Kafka:Brokers=3");

        var brokers = model.Resources.OfType<KafkaBrokerResource>().OrderBy(b => b.NodeId).ToList();
        Assert.Equal(["kafka-1", "kafka-2", "kafka-3"], brokers.Select(b => b.Name));
        foreach (var broker in brokers)
        {
            var environment = await Environment(model, broker.Name);
            Assert.Equal("1@kafka-1:9094,2@kafka-2:9094,3@kafka-3:9094", environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]);
            Assert.Equal(broker.NodeId.ToString(), environment["KAFKA_NODE_ID"]);
            Assert.Equal("3", environment["KAFKA_DEFAULT_REPLICATION_FACTOR"]);
            Assert.Equal("3", environment["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]);
            Assert.Equal("2", environment["KAFKA_MIN_INSYNC_REPLICAS"]);
            Assert.Contains($"PLAINTEXT_INTERNAL://{broker.Name}:9093", environment["KAFKA_ADVERTISED_LISTENERS"]);
            Assert.Equal($"{broker.Name}:9999", (await Environment(model, $"{broker.Name}-jmx"))["JMX_HOST_PORT"]);
        }

        // The services' "kafka" connection string spans all three host listeners.
        var kafka = Assert.IsAssignableFrom<IResourceWithConnectionString>(model.Resources.Single(r => r.Name == "kafka"));
        Assert.Equal(3, kafka.ConnectionStringExpression.ValueProviders.Count);
        Assert.Equal("kafka-1:9093,kafka-2:9093,kafka-3:9093", (await Environment(model, "otel-collector"))["KAFKA_BOOTSTRAP_SERVERS"]);
    }

    /// <summary>
    /// Every KAFKA_* setting of every node, as the apache/kafka image turns it into a broker config
    /// name, is one Kafka of the pinned tag defines (observability/kafka/broker-config-names.yml,
    /// read from its source at that tag); the cluster id, the voters and the listeners hold together.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_broker_setting_is_a_config_the_pinned_Kafka_defines_and_the_quorum_holds_together(int size)
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", $"--KafkaO11y:Kafka:Brokers={size}");
        var reviewed = Yaml.Load(Repository.PathOf("observability/kafka/broker-config-names.yml"));
        Assert.Equal(KafkaO11y.AppHost.ContainerImages.Kafka.Tag, reviewed.Map("upstream")["tag"]?.ToString());
        var names = reviewed.Strings("names").ToHashSet();
        // Variables the image keeps out of server.properties, and those its scripts read that still land
        // there under a name Kafka ignores (KAFKA_JMX_PORT as jmx.port: the launch script needs it for remote JMX).
        var notConfigs = reviewed.Map("env_mapping").Strings("not_configs").ToHashSet();
        var ignoredByKafka = ((List<object?>)reviewed.Map("env_mapping")["script_env_not_excluded"]!)
            .Cast<Dictionary<object, object?>>().Select(e => e["env"]!.ToString()!).ToHashSet();
        Assert.True(names.Count > 100, "broker-config-names.yml lists too few names to be the whole set");

        var brokers = model.Resources.OfType<KafkaBrokerResource>().OrderBy(b => b.NodeId).ToList();
        Assert.Equal(size, brokers.Count);
        var voters = new List<string>();
        foreach (var broker in brokers)
        {
            var environment = await Environment(model, broker.Name);
            var unknown = environment.Keys.Where(k => k.StartsWith("KAFKA_", StringComparison.Ordinal) && !notConfigs.Contains(k) && !ignoredByKafka.Contains(k))
                .Select(k => (Env: k, Config: BrokerConfigName(k))).Where(c => !names.Contains(c.Config)).ToList();
            Assert.True(unknown.Count == 0, $"{broker.Name}: settings Kafka {KafkaO11y.AppHost.ContainerImages.Kafka.Tag} has no config for:\n"
                + string.Join("\n", unknown.Select(u => $"{u.Env} -> {u.Config}")));

            // KRaft's cluster id: a UUID's 16 bytes in URL-safe base64 without padding (22 characters).
            var clusterId = environment["CLUSTER_ID"];
            Assert.Matches("^[A-Za-z0-9_-]{22}$", clusterId);
            Assert.Equal(16, Convert.FromBase64String(clusterId.Replace('-', '+').Replace('_', '/') + "==").Length);

            Assert.Equal(broker.NodeId.ToString(), environment["KAFKA_NODE_ID"]);
            voters.Add(environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]);
            var listeners = environment["KAFKA_LISTENERS"].Split(',').Select(l => l.Split("://")[0]).ToList();
            var protocols = environment["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].Split(',').Select(p => p.Split(':')[0]).ToHashSet();
            Assert.All(listeners, listener => Assert.Contains(listener, protocols));
            Assert.Contains(environment["KAFKA_CONTROLLER_LISTENER_NAMES"], listeners);
            Assert.Contains(environment["KAFKA_INTER_BROKER_LISTENER_NAME"], listeners);
            Assert.Contains($"{environment["KAFKA_INTER_BROKER_LISTENER_NAME"]}://{broker.Name}:", environment["KAFKA_ADVERTISED_LISTENERS"]);
            Assert.Equal(size >= 3 ? "3" : size.ToString(), environment["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]);
        }

        // One voter set, the same on every node: id@host:controller-port for each node, in node order.
        var controllerPort = KafkaBrokerResource.ControllerListenerPort;
        Assert.Single(voters.Distinct());
        Assert.Equal(string.Join(',', brokers.Select(b => $"{b.NodeId}@{b.Name}:{controllerPort}")), voters[0]);
    }

    /// <summary>
    /// Each container's command-line flags (and Grafana's GF_* settings) exist in its pinned image:
    /// a flag an image does not know stops that program at start. The flag sets were read from each
    /// project's source at the tag (observability/&lt;component&gt;/upstream-flags.yml).
    /// </summary>
    [Fact]
    public async Task Every_flag_and_setting_given_to_a_container_exists_in_its_pinned_image()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");
        var components = new Dictionary<string, string>
        {
            ["prometheus"] = KafkaO11y.AppHost.ContainerImages.Prometheus.Tag,
            ["alertmanager"] = KafkaO11y.AppHost.ContainerImages.Alertmanager.Tag,
            ["tempo"] = KafkaO11y.AppHost.ContainerImages.Tempo.Tag,
            ["loki"] = KafkaO11y.AppHost.ContainerImages.Loki.Tag,
            ["otel-collector"] = KafkaO11y.AppHost.ContainerImages.OpenTelemetryCollector.Tag,
            ["grafana"] = KafkaO11y.AppHost.ContainerImages.Grafana.Tag,
        };
        var problems = new List<string>();
        foreach (var (component, tag) in components)
        {
            var reviewed = Yaml.Load(Repository.PathOf($"observability/{component}/upstream-flags.yml"));
            Assert.Equal(tag.TrimStart('v'), reviewed.Map("upstream")["tag"]?.ToString()?.TrimStart('v'));
            var flags = reviewed.Map("flags").Strings("accepts").ToHashSet();
            var features = reviewed.Map("feature_flags").Strings("accepts").ToHashSet();
            foreach (var argument in await Arguments(model, component))
            {
                var flag = argument.TrimStart('-').Split('=')[0];
                if (!argument.StartsWith('-'))
                {
                    continue;
                }

                if (!flags.Contains(flag))
                {
                    problems.Add($"{component} {tag}: no flag '{flag}' (from '{argument}')");
                }
                else if (flag == "enable-feature" && !argument.Split('=')[1].Split(',').All(features.Contains))
                {
                    problems.Add($"{component} {tag}: unknown feature in '{argument}'");
                }
            }
        }

        var grafanaSettings = Yaml.Load(Repository.PathOf("observability/grafana/upstream-flags.yml")).Map("environment").Strings("accepts").ToHashSet();
        foreach (var variable in (await Environment(model, "grafana")).Keys.Where(k => k.StartsWith("GF_", StringComparison.Ordinal)))
        {
            // GF_<SECTION>_<KEY>: the section's dots and the key's words are both underscores, so compare that way.
            if (!grafanaSettings.Any(setting => "GF_" + setting.ToUpperInvariant().Replace('.', '_') == variable))
            {
                problems.Add($"grafana: {variable} names no setting of conf/defaults.ini");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("KAFKA_LOG_DIRS", true)]
    [InlineData("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", true)]
    [InlineData("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISRS", false)]
    [InlineData("KAFKA_TRANSACTIONS_STATE_LOG_MIN_ISR", false)]
    public void The_config_name_check_tells_a_real_setting_from_a_misspelt_one(string variable, bool known)
    {
        var names = Yaml.Load(Repository.PathOf("observability/kafka/broker-config-names.yml")).Strings("names").ToHashSet();
        Assert.Equal(known, names.Contains(BrokerConfigName(variable)));
    }

    /// <summary>How the apache/kafka image names a config from an environment variable: KAFKA_FOO_BAR is foo.bar, ___ is -, __ is _.</summary>
    private static string BrokerConfigName(string variable) =>
        variable["KAFKA_".Length..].ToLowerInvariant().Replace("___", "-", StringComparison.Ordinal)
            .Replace("__", "\u0001", StringComparison.Ordinal).Replace('_', '.').Replace('\u0001', '_');

    [Fact]
    public async Task An_external_cluster_replaces_the_broker_and_exporter_containers()
    {
        var model = await models.BuildAsync(
            "--KafkaO11y:Mode=Containers", "--ConnectionStrings:kafka=broker.example:9092");

        Assert.Empty(model.Resources.OfType<KafkaBrokerResource>());
        Assert.DoesNotContain(model.Resources, r => r.Name.EndsWith("-jmx", StringComparison.Ordinal));
        Assert.All(ObservabilityComponents, name => Assert.Contains(model.Resources, r => r.Name == name));
        Assert.Equal("{kafka.connectionString}", (await Environment(model, "otel-collector"))["KAFKA_BOOTSTRAP_SERVERS"]);
        // No JMX exporter to scrape (ObservabilityConfigTests checks the target files as promtool reads them).
        var jmxTargets = Path.Combine(model.Resources.Single(r => r.Name == "prometheus").PrometheusFiles().Directory, "targets", "kafka-jmx.json");
        Assert.Equal("[]", File.ReadAllText(jmxTargets).Trim());
    }

    [Fact]
    public async Task SASL_SSL_settings_for_an_external_cluster_reach_the_services_with_the_password_as_a_secret()
    {
        var model = await models.BuildAsync(
            "--KafkaO11y:Mode=Containers", "--ConnectionStrings:kafka=broker.example:9093",
            "--KafkaO11y:Kafka:Client:SecurityProtocol=SaslSsl", "--KafkaO11y:Kafka:Client:SaslMechanism=ScramSha512",
            "--KafkaO11y:Kafka:Client:SaslUsername=kafka-o11y");

        foreach (var service in new[] { "producer", "consumer" })
        {
            var environment = await Environment(model, service);
            Assert.Equal("SaslSsl", environment["Kafka__Client__SecurityProtocol"]);
            Assert.Equal("ScramSha512", environment["Kafka__Client__SaslMechanism"]);
            Assert.Equal("kafka-o11y", environment["Kafka__Client__SaslUsername"]);
            Assert.Equal("{kafka-sasl-password.value}", environment["Kafka__Client__SaslPassword"]);
        }

        Assert.True(model.Resources.OfType<ParameterResource>().Single(p => p.Name == "kafka-sasl-password").Secret);

        // The collector's kafka_metrics receiver authenticates the same way, through its config overlay.
        var collectorEnvironment = await Environment(model, "otel-collector");
        Assert.Equal("SCRAM-SHA-512", collectorEnvironment["KAFKA_SASL_MECHANISM"]);
        Assert.Equal("kafka-o11y", collectorEnvironment["KAFKA_SASL_USERNAME"]);
        Assert.Equal("{kafka-sasl-password.value}", collectorEnvironment["KAFKA_SASL_PASSWORD"]);
        Assert.Contains("--config=/etc/otelcol-contrib/kafka-sasl.yaml", await Arguments(model, "otel-collector"));
        var overlay = Yaml.Load(Repository.PathOf("observability/otel-collector/kafka-sasl.yaml"))
            .Map("receivers").Map("kafka_metrics");
        Assert.Equal("${env:KAFKA_SASL_MECHANISM}", overlay.Map("auth").Map("sasl")["mechanism"]);
        Assert.Equal("${env:KAFKA_SASL_PASSWORD}", overlay.Map("auth").Map("sasl")["password"]);
        Assert.NotEmpty(overlay.Map("tls"));
    }

    [Fact]
    public async Task A_SASL_password_in_plain_configuration_is_refused()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => models.BuildAsync(
            "--KafkaO11y:Mode=Containers", "--ConnectionStrings:kafka=broker.example:9093",
            "--KafkaO11y:Kafka:Client:SaslUsername=kafka-o11y", "--KafkaO11y:Kafka:Client:SaslPassword=oops"));

        Assert.Contains("secret parameter 'Parameters:kafka-sasl-password'", error.ToString());
    }

    [Fact]
    public async Task Resources_link_to_the_Grafana_dashboard_that_shows_them()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");
        var provisioned = GrafanaDashboards.Files
            .Select(file => System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("uid").GetString())
            .ToHashSet();

        KafkaO11y.AppHost.Grafana.GrafanaDashboardLinkAnnotation Link(string resource) =>
            model.Resources.Single(r => r.Name == resource).Annotations.OfType<KafkaO11y.AppHost.Grafana.GrafanaDashboardLinkAnnotation>().Single();
        Assert.Equal("kafka-cluster", Link("kafka").DashboardUid);
        Assert.Equal(("kafka-applications", "var-service=producer"), (Link("producer").DashboardUid, Link("producer").Query));
        Assert.Equal(("kafka-applications", "var-service=consumer"), (Link("consumer").DashboardUid, Link("consumer").Query));
        Assert.Equal("telemetry-pipeline", Link("otel-collector").DashboardUid);
        foreach (var resource in new[] { "kafka", "producer", "consumer", "otel-collector" })
        {
            Assert.Contains(Link(resource).DashboardUid, provisioned);
        }
    }

    [Fact]
    public async Task Kafka_UI_browses_the_cluster_through_its_internal_listener_and_can_be_left_out()
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers");
        var environment = await Environment(model, "kafka-ui");
        Assert.Equal("kafka:9093", environment["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"]);
        Assert.Equal("9999", environment["KAFKA_CLUSTERS_0_METRICS_PORT"]);

        var without = await models.BuildAsync("--KafkaO11y:Mode=Containers", "--KafkaO11y:KafkaUi=false");
        Assert.DoesNotContain(without.Resources, r => r.Name == "kafka-ui");
    }

    private static void AssertPinned(string resource, string image)
    {
        var colon = image.LastIndexOf(':');
        Assert.True(colon > image.LastIndexOf('/'), $"{resource}: image '{image}' has no tag.");
        Assert.NotEqual("latest", image[(colon + 1)..]);
    }


}
