using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The names Prometheus's OTLP receiver gives OpenTelemetry instruments and attributes, from its
/// own translation library: <c>OtlpNames/main.go</c>, compiled with Go against Debian's package of
/// github.com/prometheus/otlptranslator (what <c>bash .ci/fetch-prometheus --test-tools</c> fetches).
/// </summary>
public static class PrometheusOtlpNames
{
    private static string Program => Repository.PathOf(Path.Combine("KafkaO11y.Tests", "Observability", "OtlpNames", "main.go"));

    public sealed record Translation(
        [property: JsonPropertyName("metrics")] Dictionary<string, string[]> Metrics,
        [property: JsonPropertyName("labels")] Dictionary<string, string> Labels);

    /// <summary>The otlptranslator prom/prometheus v3.14.0 builds with (its go.mod), the version Containers mode runs.</summary>
    public const string PinnedVersion = "1.0.0";

    public static async Task<Translation> TranslateAsync(IEnumerable<Instrument> instruments, IEnumerable<string> attributes)
    {
        var go = ExternalTool.Go.RequirePath();
        var root = new[] { Repository.PathOf(Path.Combine(".tools", "sid", "usr", "share")), "/usr/share" }
            .Select(Path.GetFullPath)
            .FirstOrDefault(r => Directory.Exists(Path.Combine(r, "gocode", "src", "github.com", "prometheus", "otlptranslator")));
        ExternalTool.Require(root is not null, "Prometheus's OTLP name translator is not installed: bash .ci/fetch-prometheus --test-tools.");
        var library = Path.Combine(root!, "gocode", "src", "github.com", "prometheus", "otlptranslator");

        // sid moves: the names are proven for the version Containers mode runs, or not at all.
        var version = DebianVersion(Path.Combine(root!, "doc", "golang-github-prometheus-otlptranslator-dev", "changelog.Debian.gz"));
        Assert.True(version.StartsWith(PinnedVersion + "-", StringComparison.Ordinal),
            $"Debian's otlptranslator is {version}; prom/prometheus v3.14.0 builds with {PinnedVersion}. Pin the matching package or update the Prometheus image.");

        var work = Directory.CreateTempSubdirectory("kafka-o11y-otlp-names-").FullName;
        try
        {
            File.Copy(Program, Path.Combine(work, "main.go"));
            await File.WriteAllTextAsync(Path.Combine(work, "go.mod"), $"""
                module kafkao11y/otlpnames

                go 1.23

                require github.com/prometheus/otlptranslator v1.0.0

                replace github.com/prometheus/otlptranslator => {library}
                """);
            var input = JsonSerializer.Serialize(new
            {
                metrics = instruments.Select(i => new { name = i.Name, unit = i.Unit ?? "", type = OtlpType(i) }),
                labels = attributes,
            });

            var (exitCode, output, errors) = await ChildProcess.RunAsync(go, ["run", "."], work, TimeSpan.FromMinutes(5), new Dictionary<string, string?>
            {
                // Offline: everything comes from the toolchain and the replaced module.
                ["GOFLAGS"] = "-mod=mod",
                ["GOPROXY"] = "off",
                ["GOTOOLCHAIN"] = "local",
                ["GOTELEMETRY"] = "off",
                ["GO111MODULE"] = "on",
                ["GOPATH"] = Path.Combine(work, "gopath"),
                ["GOCACHE"] = Repository.PathOf(Path.Combine(".tools", "go-cache")),
            }, input);
            Assert.True(exitCode == 0, $"The OTLP name translator failed:\n{errors}{output}");
            return JsonSerializer.Deserialize<Translation>(output)!;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A Debian package's version, from the first line of its changelog: "name (1.0.0-2) unstable; ...".</summary>
    private static string DebianVersion(string changelog)
    {
        using var file = File.OpenRead(changelog);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var first = reader.ReadLine() ?? "";
        var open = first.IndexOf('(', StringComparison.Ordinal);
        var close = first.IndexOf(')', StringComparison.Ordinal);
        return open >= 0 && close > open ? first[(open + 1)..close] : first;
    }

    /// <summary>The OTLP metric type the .NET SDK exports an instrument as.</summary>
    private static string OtlpType(Instrument instrument) => instrument.GetType().GetGenericTypeDefinition() switch
    {
        var t when t == typeof(Counter<>) || t == typeof(ObservableCounter<>) => "monotonic_sum",
        var t when t == typeof(UpDownCounter<>) || t == typeof(ObservableUpDownCounter<>) => "non_monotonic_sum",
        var t when t == typeof(Gauge<>) || t == typeof(ObservableGauge<>) => "gauge",
        var t when t == typeof(Histogram<>) => "histogram",
        var t => throw new InvalidOperationException($"{instrument.Name}: no OTLP type known for {t.Name}."),
    };
}
