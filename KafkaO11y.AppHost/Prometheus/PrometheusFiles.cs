using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace KafkaO11y.AppHost.Prometheus;

/// <summary>One group of scrape targets as Prometheus's file-based discovery reads it.</summary>
/// <param name="Targets">host:port of each target.</param>
/// <param name="Labels">Labels every series of these targets gets (<c>job</c> and <c>instance</c> override the defaults).</param>
public sealed record TargetGroup(IReadOnlyList<string> Targets, IReadOnlyDictionary<string, string> Labels)
{
    public TargetGroup(params string[] targets) : this(targets, new Dictionary<string, string>())
    {
    }
}

/// <summary>
/// The folder a Prometheus reads, laid out as <c>/etc/prometheus</c> in its container:
/// <c>prometheus.yml</c> and <c>rules/</c> from <c>observability/prometheus</c>, and <c>targets/</c>, which
/// the AppHost writes: one file per scrape job and one for the Alertmanagers, as prometheus.yml
/// names them. Targets are all that differ between the modes and between runs; Prometheus re-reads
/// a target file when it changes.
/// </summary>
public sealed class PrometheusFiles
{
    /// <summary>The file of <c>alerting.alertmanagers</c>, in <c>targets/</c>.</summary>
    public const string AlertmanagersFile = "alertmanagers.json";

    private readonly Dictionary<string, string> _targetFileOfJob;
    private readonly Dictionary<string, List<TargetGroup>> _staticTargets = [];

    private PrometheusFiles(string directory, Dictionary<string, string> targetFileOfJob, IReadOnlyList<string> promotedResourceAttributes)
    {
        Directory = directory;
        _targetFileOfJob = targetFileOfJob;
        PromotedResourceAttributes = promotedResourceAttributes;
    }

    /// <summary>The folder: what Containers mode mounts at <c>/etc/prometheus</c>, what Embedded mode runs in.</summary>
    public string Directory { get; }

    public string ConfigFile => Path.Combine(Directory, "prometheus.yml");

    /// <summary>The resource attributes prometheus.yml makes labels of OTLP pushes (<c>otlp.promote_resource_attributes</c>).</summary>
    public IReadOnlyList<string> PromotedResourceAttributes { get; }

    /// <summary>The scrape jobs of prometheus.yml.</summary>
    public IReadOnlyCollection<string> Jobs => _targetFileOfJob.Keys;

    /// <summary>Lays out a new folder from <paramref name="source"/> (observability/prometheus), every target file empty.</summary>
    public static PrometheusFiles Create(string source, string directory)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "rules"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "targets"));

        File.Copy(Path.Combine(source, "prometheus.yml"), Path.Combine(directory, "prometheus.yml"));
        foreach (var ruleFile in System.IO.Directory.GetFiles(Path.Combine(source, "rules"), "*.yml"))
        {
            File.Copy(ruleFile, Path.Combine(directory, "rules", Path.GetFileName(ruleFile)));
        }

        var config = Load(Path.Combine(source, "prometheus.yml"));

        var promoted = config.Children.TryGetValue("otlp", out var otlp) && otlp is YamlMappingNode otlpMap
            && otlpMap.Children.TryGetValue("promote_resource_attributes", out var list) && list is YamlSequenceNode attributes
            ? attributes.OfType<YamlScalarNode>().Select(a => a.Value!).ToList()
            : [];
        var files = new PrometheusFiles(directory, TargetFilesOfJobs(config), promoted);
        foreach (var targetFile in files._targetFileOfJob.Values.Append(AlertmanagersFile))
        {
            files.WriteAtomically(targetFile, "[]\n");
        }

        return files;
    }

    /// <summary>Adds a target that never moves (a container by name), kept with the job's others.</summary>
    public void AddStaticTarget(string job, TargetGroup group)
    {
        var groups = _staticTargets.TryGetValue(job, out var existing) ? existing : _staticTargets[job] = [];
        groups.Add(group);
        SetTargets(job, groups);
    }

    /// <summary>Replaces the targets of a scrape job.</summary>
    public void SetTargets(string job, IEnumerable<TargetGroup> groups)
    {
        if (!_targetFileOfJob.TryGetValue(job, out var file))
        {
            throw new InvalidOperationException(
                $"observability/prometheus/prometheus.yml has no scrape job '{job}' reading a target file; its jobs: {string.Join(", ", Jobs)}.");
        }

        WriteTargets(file, groups);
    }

    /// <summary>Replaces the Alertmanagers Prometheus sends alerts to.</summary>
    public void SetAlertmanagers(IEnumerable<TargetGroup> groups) => WriteTargets(AlertmanagersFile, groups);

    private void WriteTargets(string file, IEnumerable<TargetGroup> groups) =>
        WriteAtomically(file, JsonSerializer.Serialize(
            groups.Select(g => new { targets = g.Targets, labels = g.Labels }),
            new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Prometheus watches these files: it must never read one half written.</summary>
    private void WriteAtomically(string file, string content)
    {
        var path = Path.Combine(Directory, "targets", file);
        var partial = path + ".partial";
        File.WriteAllText(partial, content);
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>Job name to its target file, for the jobs whose targets come from <c>targets/&lt;file&gt;</c>.</summary>
    private static Dictionary<string, string> TargetFilesOfJobs(YamlMappingNode config)
    {
        var jobs = new Dictionary<string, string>();
        if (!config.Children.TryGetValue("scrape_configs", out var scrapeConfigs) || scrapeConfigs is not YamlSequenceNode list)
        {
            return jobs;
        }

        foreach (var job in list.OfType<YamlMappingNode>())
        {
            var name = ((YamlScalarNode)job["job_name"]).Value!;
            var file = job.Children.TryGetValue("file_sd_configs", out var sd) && sd is YamlSequenceNode sdList
                ? sdList.OfType<YamlMappingNode>()
                    .SelectMany(c => c.Children.TryGetValue("files", out var f) && f is YamlSequenceNode fl ? fl.OfType<YamlScalarNode>() : [])
                    .Select(s => s.Value!)
                    .FirstOrDefault(f => f.StartsWith("targets/", StringComparison.Ordinal))
                : null;
            if (file is not null)
            {
                jobs[name] = file["targets/".Length..];
            }
        }

        return jobs;
    }

    private static YamlMappingNode Load(string file)
    {
        using var reader = new StreamReader(file);
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
