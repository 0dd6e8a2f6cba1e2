using System.Security.Cryptography;

namespace KafkaO11y.Tests.Observability;

/// <summary>
/// The exporter image's download check (observability/jmx-exporter/verify-jar.sh), run for real
/// against a jar and checksum files of our own: the build goes on only when the jar, the release's
/// checksum asset and the pinned value all agree, and otherwise says which one disagrees.
/// </summary>
public sealed class JmxExporterImageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kafka-o11y-jar-").FullName;
    private readonly string _jar;
    private readonly string _digest;

    public JmxExporterImageTests()
    {
        _jar = Path.Combine(_folder, "jmx_prometheus_standalone-1.6.0.jar");
        File.WriteAllBytes(_jar, RandomNumberGenerator.GetBytes(4096));
        _digest = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_jar)));
    }

    [Fact]
    public async Task A_jar_matching_the_release_checksum_and_the_pin_passes()
    {
        var (exitCode, output) = await VerifyAsync($"{_digest}  jmx_prometheus_standalone-1.6.0.jar\n", _digest);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"sha256: {_digest}", output);
    }

    [Fact]
    public async Task A_pin_the_release_disagrees_with_stops_the_build_naming_the_releases_value()
    {
        var pinned = new string('a', 64);
        var (exitCode, output) = await VerifyAsync($"{_digest}  jmx_prometheus_standalone-1.6.0.jar\n", pinned);
        Assert.Equal(1, exitCode);
        Assert.Contains($"not the pinned JMX_EXPORTER_SHA256 ({pinned})", output);
        Assert.Contains($"put {_digest} in observability/jmx-exporter/Dockerfile", output);
    }

    [Fact]
    public async Task A_download_the_release_checksum_disagrees_with_stops_the_build()
    {
        var other = new string('b', 64);
        var (exitCode, output) = await VerifyAsync($"{other}  jmx_prometheus_standalone-1.6.0.jar\n", _digest);
        Assert.Equal(1, exitCode);
        Assert.Contains("does not match the release's own checksum", output);
    }

    [Fact]
    public async Task A_checksum_file_without_a_sha256_stops_the_build()
    {
        var (exitCode, output) = await VerifyAsync("<html>Not Found</html>\n", _digest);
        Assert.Equal(1, exitCode);
        Assert.Contains("holds no sha256", output);
    }

    [Fact]
    public void The_image_runs_the_check_on_the_jar_it_copies_with_the_pinned_value()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Repository.Observability, "jmx-exporter", "Dockerfile"));
        Assert.Contains("verify-jar /download/jmx_prometheus_standalone-${JMX_EXPORTER_VERSION}.jar", dockerfile);
        Assert.Contains("\"${JMX_EXPORTER_SHA256}\"", dockerfile);
        Assert.Contains("COPY --from=download --chmod=0444 /download/jmx_prometheus_standalone-${JMX_EXPORTER_VERSION}.jar", dockerfile);
        Assert.Matches(@"ARG JMX_EXPORTER_SHA256=[0-9a-f]{64}\n", dockerfile);
    }

    private async Task<(int ExitCode, string Output)> VerifyAsync(string checksumFile, string pinned)
    {
        var sums = _jar + ".sha256";
        await File.WriteAllTextAsync(sums, checksumFile);
        var script = Path.Combine(Repository.Observability, "jmx-exporter", "verify-jar.sh");
        var (exitCode, output, errors) = await ChildProcess.RunAsync("sh", [script, _jar, sums, pinned], _folder);
        return (exitCode, output + "\n" + errors);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
