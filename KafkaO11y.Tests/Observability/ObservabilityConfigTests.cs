using System.Text.Json;
using Aspire.Hosting.ApplicationModel;

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
    /// promtool checks the config as Prometheus would load it in its container: the mounted paths
    /// under /etc/prometheus are laid out in a temporary folder, with each JMX targets file the
    /// AppHost may mount. The CI's promtool (Debian, 2.42) predates the <c>otlp:</c> block of
    /// Prometheus 3, so that block is checked against the keys Prometheus 3.14 knows, and left out
    /// of the copy promtool reads.
    /// </summary>
    [SkippableTheory]
    [InlineData("jmx-exporters-1-broker.json")]
    [InlineData("jmx-exporters-3-brokers.json")]
    [InlineData("jmx-exporters-none.json")]
    public void Prometheus_config_passes_promtool_check_config(string targetsFile)
    {
        var promtool = ExternalTool.Promtool;
        promtool.RequirePath();

        var config = Yaml.Load(Path.Combine(PrometheusFolder, "prometheus.yml"));
        string[] prometheus3OtlpKeys =
        [
            "promote_resource_attributes", "keep_identifying_resource_attributes", "translation_strategy",
            "promote_all_resource_attributes", "ignore_resource_attributes", "convert_histograms_to_nhcb", "promote_scope_metadata",
        ];
        Assert.Empty(config.Map("otlp").Keys().Except(prometheus3OtlpKeys));
        Assert.Equal("UnderscoreEscapingWithSuffixes", config.Map("otlp")["translation_strategy"]);
        config.Remove("otlp");

        var etcPrometheus = Directory.CreateTempSubdirectory("kafka-o11y-prometheus-").FullName;
        try
        {
            var text = new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(config)
                .Replace("/etc/prometheus/", etcPrometheus + "/", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(etcPrometheus, "prometheus.yml"), text);
            Directory.CreateDirectory(Path.Combine(etcPrometheus, "rules"));
            foreach (var rules in Directory.GetFiles(Path.Combine(PrometheusFolder, "rules"), "*.yml"))
            {
                File.Copy(rules, Path.Combine(etcPrometheus, "rules", Path.GetFileName(rules)));
            }

            Directory.CreateDirectory(Path.Combine(etcPrometheus, "targets"));
            File.Copy(Path.Combine(PrometheusFolder, "targets", targetsFile), Path.Combine(etcPrometheus, "targets", "jmx-exporters.json"));

            var (exitCode, output) = promtool.Run(etcPrometheus, "check", "config", "prometheus.yml");
            Assert.True(exitCode == 0, $"promtool check config failed:\n{output}");
            Assert.Contains("SUCCESS", output);
        }
        finally
        {
            Directory.Delete(etcPrometheus, recursive: true);
        }
    }

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
        Assert.Equal("${env:ASPIRE_DASHBOARD_OTLP_ENDPOINT}", aspire["endpoint"]);
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

    [Fact]
    public void Dashboards_name_only_provisioned_datasources()
    {
        var uids = ProvisionedDatasourceUids();
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
    public async Task Every_file_a_container_mounts_parses(string variant)
    {
        var model = await models.BuildAsync("--KafkaO11y:Mode=Containers", variant);
        var files = model.Resources.SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>())
            .Where(m => m.Type == ContainerMountType.BindMount)
            .SelectMany(m => Directory.Exists(m.Source) ? Directory.GetFiles(m.Source!, "*", SearchOption.AllDirectories) : [m.Source!])
            .ToList();
        Assert.NotEmpty(files);

        foreach (var file in files.Where(f => Path.GetFileName(f) != ".gitkeep"))
        {
            switch (Path.GetExtension(file))
            {
                case ".yml" or ".yaml":
                    Yaml.AssertParses(file);
                    break;
                case ".json":
                    using (JsonDocument.Parse(File.ReadAllText(file)))
                    {
                    }

                    break;
                case ".md" or "":
                    break;
                default:
                    Assert.Fail($"{file} is mounted, but no test knows how to check a '{Path.GetExtension(file)}' file.");
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
