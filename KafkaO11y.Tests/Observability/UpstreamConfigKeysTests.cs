using System.Text.RegularExpressions;
using KafkaO11y.AppHost;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// Every key of every config a container reads, held against what the pinned version of that
/// container accepts (the reviewed upstream-config-keys.yml beside the config). Tempo, Loki and
/// the collector refuse an unknown key and stop at start-up, on a machine these tests never see.
/// </summary>
public sealed partial class UpstreamConfigKeysTests
{
    public static TheoryData<string> Lists() => [.. UpstreamConfigKeys.All().Select(path => Path.GetRelativePath(Repository.Observability, path))];

    [Theory]
    [MemberData(nameof(Lists))]
    public void Every_key_of_our_configs_is_one_the_pinned_version_accepts(string list)
    {
        var keys = UpstreamConfigKeys.Load(Path.Combine(Repository.Observability, list));
        Assert.NotEmpty(keys.Covers);
        var violations = keys.Covers.SelectMany(c => keys.Violations(LoadConfig(c.Config), c.Prefix).Select(v => $"{c.Config}: {v}")).ToList();
        Assert.True(violations.Count == 0, $"Keys {keys.Repository} {keys.Tag} does not accept:\n" + string.Join("\n", violations));
    }

    /// <summary>The proof that the check can fail: each checked key, misspelt alone, is reported.</summary>
    [Theory]
    [MemberData(nameof(Lists))]
    public void Each_key_misspelt_alone_is_reported(string list)
    {
        var keys = UpstreamConfigKeys.Load(Path.Combine(Repository.Observability, list));
        var missed = new List<string>();
        var tried = 0;
        foreach (var (config, prefix) in keys.Covers)
        {
            var document = LoadConfig(config);
            foreach (var (map, key) in keys.CheckedKeys(document, prefix))
            {
                var value = map[key];
                var typo = Misspell(key.ToString()!);
                map.Remove(key);
                map[typo] = value;
                if (keys.Violations(document, prefix).Count == 0)
                {
                    missed.Add($"{config}: '{typo}' (for '{key}')");
                }

                map.Remove(typo);
                map[key] = value;
                tried++;
            }
        }

        Assert.True(tried > 5, $"{list} checks only {tried} keys");
        Assert.True(missed.Count == 0, "Misspelt keys not reported:\n" + string.Join("\n", missed));
    }

    /// <summary>Mistakes that are not a misspelt key, in the collector's config, that its list still catches.</summary>
    [Theory]
    [InlineData("trcaes", "otlp_grpc/tempo", "(pipeline id)")]
    [InlineData("traces", "otlp_grpc/my tempo", "(component name with a space)")]
    [InlineData("traces/extra", "otlp_grpc/tempo", null)]
    public void Pipeline_ids_and_component_names_are_checked(string pipeline, string exporter, string? mistake)
    {
        var keys = UpstreamConfigKeys.Load(Path.Combine(Repository.Observability, "otel-collector", UpstreamConfigKeys.FileName));
        var config = (Dictionary<object, object?>)new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>($$"""
            exporters:
              {{exporter}}:
                endpoint: tempo:4317
            service:
              pipelines:
                {{pipeline}}:
                  receivers: [otlp]
                  exporters: [{{exporter}}]
            """);
        var violations = keys.Violations(config);
        Assert.True((mistake is null) == (violations.Count == 0), $"{mistake ?? "a valid config"}: {string.Join("; ", violations)}");
    }

    [Fact]
    public void Each_list_was_read_at_the_tag_the_app_host_pins()
    {
        var pinned = new Dictionary<string, string>
        {
            ["tempo"] = ContainerImages.Tempo.Tag,
            ["loki"] = ContainerImages.Loki.Tag,
            ["otel-collector"] = ContainerImages.OpenTelemetryCollector.Tag,
            ["grafana"] = ContainerImages.Grafana.Tag,
            ["jmx-exporter"] = JmxExporterVersion(),
        };
        var lists = UpstreamConfigKeys.All().Select(UpstreamConfigKeys.Load).ToDictionary(k => Path.GetFileName(Path.GetDirectoryName(k.File))!);
        Assert.Equal(pinned.Keys.Order(), lists.Keys.Order());
        foreach (var (folder, tag) in pinned)
        {
            var list = lists[folder];
            Assert.True(list.Tag.TrimStart('v') == tag.TrimStart('v'), $"{folder}: {UpstreamConfigKeys.FileName} was read at {list.Tag}, the AppHost pins {tag}");
            Assert.Matches("^[0-9a-f]{40}$", list.Commit);
            Assert.NotEmpty(list.Repository);
            Assert.All(list.Keys, entry => Assert.False(string.IsNullOrWhiteSpace(entry.Value.Source), $"{folder}: keys.{entry.Key} names no source"));
            Assert.All(list.Keys, entry => Assert.True(entry.Value.Free || entry.Value.Accepts.Count > 0, $"{folder}: keys.{entry.Key} accepts nothing"));
        }
    }

    /// <summary>A new config file for a container cannot slip past: each is checked by a list or by the tool named here.</summary>
    [Fact]
    public void Every_config_a_container_reads_is_checked()
    {
        var checkedByList = UpstreamConfigKeys.All().Select(UpstreamConfigKeys.Load).SelectMany(k => k.Covers.Select(c => c.Config)).ToHashSet();
        var checkedElsewhere = new Dictionary<string, string>
        {
            ["prometheus/"] = "promtool check config / check rules / test rules (ObservabilityConfigTests)",
            ["alertmanager/"] = "amtool check-config (ObservabilityConfigTests)",
            ["grafana/dashboards/"] = "dashboard queries held to the metric catalogue and real Prometheus",
            ["jmx-exporter/METRICS.md"] = "the catalogue the rules are checked against (JmxRulesTests)",
            ["jmx-exporter/kafka-mbeans.yml"] = "reviewed list (JmxRulesTests)",
            ["kafka/broker-config-names.yml"] = "reviewed list (ContainersModelTests)",
        };
        var uncovered = Directory.EnumerateFiles(Repository.Observability, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Repository.Observability, path).Replace('\\', '/'))
            .Where(path => Path.GetExtension(path) is ".yml" or ".yaml" or ".json")
            .Where(path => Path.GetFileName(path) is not (UpstreamConfigKeys.FileName or "upstream-flags.yml"))
            .Where(path => !checkedByList.Contains(path) && !checkedElsewhere.Keys.Any(path.StartsWith))
            .ToList();
        Assert.True(uncovered.Count == 0, "Config files no check holds to the pinned version:\n" + string.Join("\n", uncovered));
    }

    private static object? LoadConfig(string relativePath)
    {
        var path = Path.Combine(Repository.Observability, relativePath);
        Assert.True(File.Exists(path), $"{relativePath} does not exist");
        return Yaml.Load(path);
    }

    /// <summary>A typo: two letters swapped in the middle of the name (of the type, for a component id).</summary>
    private static string Misspell(string key)
    {
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[..slash];
        var chars = name.ToCharArray();
        var i = Math.Max(0, chars.Length / 2 - 1);
        if (chars.Length >= 2 && chars[i] != chars[i + 1])
        {
            (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
        }
        else
        {
            chars = [.. chars, 'x'];
        }

        return new string(chars) + (slash < 0 ? "" : key[slash..]);
    }

    public static string JmxExporterVersion() =>
        JmxVersion().Match(File.ReadAllText(Path.Combine(Repository.Observability, "jmx-exporter", "Dockerfile"))).Groups[1].Value;

    [GeneratedRegex(@"ARG JMX_EXPORTER_VERSION=(\S+)")]
    private static partial Regex JmxVersion();
}
