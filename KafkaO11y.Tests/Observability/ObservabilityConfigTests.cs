using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using KafkaO11y.AppHost;
using KafkaO11y.AppHost.Alertmanager;
using KafkaO11y.AppHost.OpenTelemetryCollector;
using KafkaO11y.AppHost.Prometheus;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// The configuration files the containers mount, checked without running any container: by the
/// real validators where they exist (promtool) and by cross-checks between the files.
/// </summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class ObservabilityConfigTests(AppHostModels models)
{
    private static string PrometheusFolder => Path.Combine(Repository.Observability, "prometheus");

    private static string CollectorConfig => Path.Combine(Repository.Observability, "otel-collector", "config.yaml");

    /// <summary>
    /// promtool 3 checks the whole prometheus.yml in the folder the AppHost lays out for each
    /// topology (what the container mounts at /etc/prometheus), with that topology's target files:
    /// one JMX exporter per broker the AppHost runs, the stack's own metrics, the Alertmanager.
    /// </summary>
    [SkippableTheory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1", "kafka-jmx:5556")]
    [InlineData("--KafkaO11y:Kafka:Brokers=2", "kafka-1-jmx:5556,kafka-2-jmx:5556")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3", "kafka-1-jmx:5556,kafka-2-jmx:5556,kafka-3-jmx:5556")]
    [InlineData("--ConnectionStrings:kafka=broker.example:9092", "")]
    public async Task Containers_mode_prometheus_config_passes_promtool_check_config(string variant, string jmxExporters)
    {
        ExternalTool.Promtool.RequirePath();
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", variant);
        var prometheus = model.Resources.Single(r => r.Name == "prometheus");
        var files = prometheus.PrometheusFiles();
        Assert.Contains(prometheus.Annotations.OfType<ContainerFileSystemCallbackAnnotation>(), f => f.DestinationPath == "/etc/prometheus");

        AssertPromtoolAccepts(files);
        Assert.Equal(jmxExporters.Split(',', StringSplitOptions.RemoveEmptyEntries), Targets(files, "kafka-jmx.json"));
        Assert.Equal(["localhost:9090"], Targets(files, "prometheus.json"));
        Assert.Equal(["otel-collector:8888"], Targets(files, "otel-collector.json"));
        Assert.Equal(["tempo:3200"], Targets(files, "tempo.json"));
        Assert.Equal(["loki:3100"], Targets(files, "loki.json"));
        Assert.Empty(Targets(files, "services.json"));
        Assert.Equal(["alertmanager:9093"], Targets(files, PrometheusFiles.AlertmanagersFile));
    }

    /// <summary>
    /// Embedded mode runs a local Prometheus in the same layout: the same prometheus.yml and rules,
    /// itself and its Alertmanager as targets; the services' targets follow their replicas at run time.
    /// </summary>
    [SkippableFact]
    public async Task Embedded_mode_prometheus_config_passes_promtool_check_config()
    {
        ExternalTool.Promtool.RequirePath();
        var model = await models.BuildAsync("--KafkaO11y:Mode=Embedded");
        var prometheus = model.Resources.SingleOrDefault(r => r.Name == "prometheus");
        ExternalTool.Require(prometheus is not null, "Embedded mode found no Prometheus 3 and Alertmanager: bash .ci/fetch-prometheus.");

        var files = prometheus!.PrometheusFiles();
        AssertPromtoolAccepts(files);
        // The project's prometheus.yml as it is.
        Assert.Equal(Yaml.Canonical(Path.Combine(PrometheusFolder, "prometheus.yml")), Yaml.Canonical(files.ConfigFile));
        Assert.Single(Targets(files, "prometheus.json"), t => t.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        Assert.Single(Targets(files, PrometheusFiles.AlertmanagersFile), t => t.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        Assert.All(["kafka-jmx.json", "otel-collector.json", "tempo.json", "loki.json"], file => Assert.Empty(Targets(files, file)));
    }

    /// <summary>
    /// The rules as the real-Prometheus tests shorten them (<see cref="PrometheusOverlay"/>): every
    /// duration divided, every query and threshold unchanged, and still valid for promtool.
    /// </summary>
    [SkippableFact]
    public void Rules_shortened_by_the_overlay_keep_their_queries_and_pass_promtool()
    {
        ExternalTool.Promtool.RequirePath();
        var directory = Directory.CreateTempSubdirectory("kafka-o11y-overlay-").FullName;
        try
        {
            var files = PrometheusFiles.Create(PrometheusFolder, directory);
            new PrometheusOverlay("1s", "1s", RuleTimeDivisor: 20).ApplyTo(directory);
            AssertPromtoolAccepts(files);
            Assert.Contains("scrape_interval: 1s", File.ReadAllText(files.ConfigFile), StringComparison.Ordinal);

            var original = PrometheusRules.All().ToDictionary(r => r.Alert ?? r.Record!);
            var shortened = PrometheusRules.All(Path.Combine(directory, "rules")).ToDictionary(r => r.Alert ?? r.Record!);
            Assert.Equal(original.Keys.Order(), shortened.Keys.Order());
            Assert.Contains("offset 15s", shortened["KafkaDeadLetterMessages"].Expression, StringComparison.Ordinal);
            var lag = shortened["KafkaConsumerLagHigh"];
            Assert.Contains("[30s]", lag.Expression, StringComparison.Ordinal);
            Assert.DoesNotContain("[10m]", lag.Expression, StringComparison.Ordinal);
            Assert.Equal("15s", lag.For);
            foreach (var (name, rule) in original)
            {
                // Apart from the durations, the same text: no threshold, label or function changed.
                Assert.Equal(WithoutDurations(rule.Expression), WithoutDurations(shortened[name].Expression));
                Assert.Equal(rule.Labels, shortened[name].Labels);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("rate(x[5m])", "rate(x[15s])")]
    [InlineData("max_over_time(rate(x[10m])[1h:1m])", "max_over_time(rate(x[30s])[180s:3s])")]
    [InlineData("deriv(x[10m:]) > 0", "deriv(x[30s:]) > 0")]
    [InlineData("x unless x offset 5m", "x unless x offset 15s")]
    [InlineData("x offset -1h30m", "x offset -270s")]
    [InlineData("rate(x[500ms]) > 0.5", "rate(x[25ms]) > 0.5")]
    [InlineData("x{job=~\"[0-9]+\"} > 100", "x{job=~\"[0-9]+\"} > 100")]
    public void The_overlay_divides_every_range_subquery_and_offset_and_nothing_else(string expression, string expected)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader($"groups:\n  - name: g\n    rules:\n      - alert: A\n        for: 5m\n        expr: '{expression.Replace("'", "''", StringComparison.Ordinal)}'\n"));
        var rules = (YamlDotNet.RepresentationModel.YamlMappingNode)stream.Documents[0].RootNode;

        new PrometheusOverlay(RuleTimeDivisor: 20).ApplyToRules(rules);

        var rule = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)
            ((YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)rules["groups"])[0])["rules"])[0];
        Assert.Equal(expected, rule["expr"].ToString());
        Assert.Equal("15s", rule["for"].ToString());
    }

    [SkippableTheory]
    [InlineData("Containers", "http://otel-collector:8088/alertmanager")]
    [InlineData("Embedded", "http://127.0.0.1:")]
    public async Task Alertmanager_config_as_each_mode_lays_it_out_passes_amtool(string mode, string webhook)
    {
        ExternalTool.Amtool.RequirePath();
        var model = await models.BuildAsync($"--KafkaO11y:Mode={mode}");
        var alertmanager = model.Resources.SingleOrDefault(r => r.Name == "alertmanager");
        ExternalTool.Require(alertmanager is not null, "Embedded mode found no Alertmanager: bash .ci/fetch-prometheus.");

        var folder = alertmanager switch
        {
            ContainerResource container => container.Annotations.OfType<RunFolderAnnotation>().Single().Path,
            ExecutableResource program => program.WorkingDirectory,
            _ => throw new InvalidOperationException($"alertmanager is a {alertmanager!.GetType().Name}"),
        };
        var (exitCode, output) = ExternalTool.Amtool.Run(folder, "check-config", "alertmanager.yml");
        Assert.True(exitCode == 0, $"amtool check-config failed:\n{output}");
        Assert.Contains("SUCCESS", output);

        // The webhook's address is the one thing that differs, read from the file the config names.
        var config = File.ReadAllText(Path.Combine(folder, "alertmanager.yml"));
        var urlFile = System.Text.RegularExpressions.Regex.Match(config, @"url_file:\s*(\S+)").Groups[1].Value;
        var seenAs = mode == "Containers" ? "/etc/alertmanager" : folder;
        Assert.Equal($"{seenAs}/webhook-url", urlFile);
        Assert.StartsWith(webhook, File.ReadAllText(Path.Combine(folder, "webhook-url")), StringComparison.Ordinal);
    }

    [Fact]
    public void Alertmanager_s_webhook_is_the_collector_receiver_the_AppHost_names()
    {
        var receiver = Yaml.Load(CollectorConfig).Map("receivers").Map("webhookevent/alertmanager");
        Assert.Equal($"0.0.0.0:{OpenTelemetryCollectorResource.AlertmanagerWebhookPort}", receiver["endpoint"]);
        Assert.Equal(OpenTelemetryCollectorResource.AlertmanagerWebhookPath, receiver["path"]);
    }

    private static void AssertPromtoolAccepts(PrometheusFiles files)
    {
        var (exitCode, output) = ExternalTool.Promtool.Run(files.Directory, "check", "config", "prometheus.yml");
        Assert.True(exitCode == 0, $"promtool check config failed:\n{output}");
        Assert.Contains("SUCCESS", output);
        // promtool only warns about a target file that does not exist: none may be missing.
        Assert.DoesNotContain("WARNING", output);
        Assert.Equal(files.Jobs.Count + 1, Directory.GetFiles(Path.Combine(files.Directory, "targets"), "*.json").Length);
    }

    private static List<string> Targets(PrometheusFiles files, string targetFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(files.Directory, "targets", targetFile)));
        return [.. document.RootElement.EnumerateArray().SelectMany(g => g.GetProperty("targets").EnumerateArray()).Select(t => t.GetString()!)];
    }

    private static string WithoutDurations(string expression) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(expression, @"\[[0-9a-z:]+\]", "[d]"), @"offset -?[0-9a-z]+", "offset d");

    [SkippableFact]
    public void Alert_and_recording_rules_pass_promtool_check_rules()
    {
        var rules = Directory.GetFiles(Path.Combine(PrometheusFolder, "rules"), "*.yml");
        Assert.NotEmpty(rules);

        var (exitCode, output) = ExternalTool.Promtool.Run(PrometheusFolder, ["check", "rules", .. rules]);
        Assert.True(exitCode == 0, $"promtool check rules failed:\n{output}");
    }

    [Fact]
    public void Collector_pipelines_name_only_defined_components_and_use_every_defined_one()
    {
        var config = Yaml.Load(CollectorConfig);
        var service = config.Map("service");
        var pipelines = service.Map("pipelines");
        Assert.Equal(["logs", "metrics", "traces"], pipelines.Keys().Select(k => k.Split('/')[0]).Distinct().Order());

        foreach (var kind in new[] { "receivers", "processors", "exporters" })
        {
            var defined = config.Map(kind).Keys().ToHashSet();
            var used = pipelines.Values.OfType<Dictionary<object, object?>>().SelectMany(p => p.Strings(kind)).ToHashSet();
            Assert.Empty(used.Except(defined));
            Assert.Empty(defined.Except(used));
        }

        var extensions = config.Map("extensions").Keys().ToHashSet();
        Assert.Equal(extensions.Order(), service.Strings("extensions").Order());
    }

    [Fact]
    public void Every_signal_reaches_its_store_and_the_Aspire_dashboard()
    {
        var config = Yaml.Load(CollectorConfig);
        var pipelines = config.Map("service").Map("pipelines");
        var expected = new Dictionary<string, string>
        {
            ["traces"] = "otlp_grpc/tempo",
            ["metrics"] = "otlp_http/prometheus",
            ["logs"] = "otlp_http/loki",
        };

        foreach (var (signal, store) in expected)
        {
            var exporters = pipelines.Where(p => p.Key.ToString()!.Split('/')[0] == signal)
                .SelectMany(p => ((Dictionary<object, object?>)p.Value!).Strings("exporters")).ToList();
            Assert.Contains(store, exporters);
            Assert.Contains("otlp_grpc/aspire", exporters);
        }

        var aspire = config.Map("exporters").Map("otlp_grpc/aspire");
        Assert.Equal("${env:OTEL_EXPORTER_OTLP_ENDPOINT}", aspire["endpoint"]);
        Assert.Equal("${env:ASPIRE_DASHBOARD_OTLP_API_KEY}", aspire.Map("headers")["x-otlp-api-key"]);
    }

    [Fact]
    public void No_metric_reaches_Prometheus_twice()
    {
        // Prometheus scrapes each target once, and the collector scrapes none of them (it would
        // re-export them through OTLP: the original tutorial's duplicated JMX series).
        var prometheus = Yaml.Load(Path.Combine(PrometheusFolder, "prometheus.yml"));
        var jobs = ((List<object?>)prometheus["scrape_configs"]!).Cast<Dictionary<object, object?>>().ToList();
        var staticTargets = jobs.SelectMany(job => ((job.TryGetValue("static_configs", out var configs) ? configs as List<object?> : null) ?? [])
            .Cast<Dictionary<object, object?>>().SelectMany(c => c.Strings("targets"))).ToList();
        Assert.Equal(staticTargets.Count, staticTargets.Distinct().Count());
        Assert.Equal(jobs.Count, jobs.Select(j => j["job_name"]).Distinct().Count());

        var receivers = Yaml.Load(CollectorConfig).Map("receivers").Keys();
        Assert.DoesNotContain(receivers, r => r.Split('/')[0] is "prometheus" or "jmx" or "prometheus_simple");
    }

    [Fact]
    public void Grafana_datasources_are_provisioned_with_fixed_uids_and_link_only_to_each_other()
    {
        var uids = ProvisionedDatasourceUids();
        Assert.Equal(["loki", "prometheus", "tempo"], uids.Order());

        var provisioning = File.ReadAllText(Path.Combine(Repository.Observability, "grafana", "provisioning", "datasources", "datasources.yaml"));
        var linked = System.Text.RegularExpressions.Regex.Matches(provisioning, @"(?:datasourceUid|datasourceUID):\s*['""]?([\w-]+)")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(linked);
        Assert.All(linked, uid => Assert.Contains(uid, uids));
    }

    /// <summary>Every datasource uid anywhere in a dashboard is a provisioned one, and every panel has one.</summary>
    [Fact]
    public void Dashboards_name_only_provisioned_datasources()
    {
        var uids = ProvisionedDatasourceUids();
        var panels = GrafanaDashboards.Panels().Where(p => p.Panel.GetProperty("type").GetString() != "row").ToList();
        Assert.NotEmpty(panels);
        foreach (var (dashboard, panel) in panels)
        {
            var uid = GrafanaDashboards.DatasourceUid(panel);
            Assert.True(uid is not null && uids.Contains(uid),
                $"{dashboard} / {GrafanaDashboards.Title(panel)} has datasource '{uid}', not a provisioned one.");
        }

        foreach (var dashboard in Directory.GetFiles(Path.Combine(Repository.Observability, "grafana", "dashboards"), "*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(dashboard));
            foreach (var uid in DatasourceUids(document.RootElement))
            {
                Assert.True(uids.Contains(uid) || uid.StartsWith("${", StringComparison.Ordinal) || uid == "-- Grafana --",
                    $"{Path.GetFileName(dashboard)} names datasource uid '{uid}', which is not provisioned.");
            }
        }
    }

    [Theory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3")]
    [InlineData("--ConnectionStrings:kafka=broker.example:9092")]
    public async Task Every_file_a_container_is_given_parses(string variant)
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", variant);
        var services = new ServiceCollection().BuildServiceProvider();
        var files = new List<ContainerFileGiven>();
        foreach (var container in model.Resources.OfType<ContainerResource>())
        {
            files.AddRange(await RunModeModel.FilesAsync(container, services));
        }

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            switch (Path.GetExtension(file.Path))
            {
                case ".yml" or ".yaml":
                    Yaml.AssertParses(file.Path, file.Contents);
                    break;
                case ".json":
                    using (JsonDocument.Parse(file.Contents))
                    {
                    }

                    break;
                case ".md" or "":
                    break;
                default:
                    Assert.Fail($"{file.Path} is given to a container, but no test knows how to check a '{Path.GetExtension(file.Path)}' file.");
                    break;
            }
        }
    }

    private static HashSet<string> ProvisionedDatasourceUids()
    {
        var provisioning = Yaml.Load(Path.Combine(Repository.Observability, "grafana", "provisioning", "datasources", "datasources.yaml"));
        return [.. ((List<object?>)provisioning["datasources"]!).Cast<Dictionary<object, object?>>().Select(d => d["uid"]!.ToString()!)];
    }

    private static IEnumerable<string> DatasourceUids(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "datasource" && property.Value.ValueKind == JsonValueKind.Object
                        && property.Value.TryGetProperty("uid", out var uid) && uid.ValueKind == JsonValueKind.String)
                    {
                        yield return uid.GetString()!;
                    }

                    foreach (var nested in DatasourceUids(property.Value))
                    {
                        yield return nested;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var nested in DatasourceUids(item))
                    {
                        yield return nested;
                    }
                }

                break;
        }
    }
}
