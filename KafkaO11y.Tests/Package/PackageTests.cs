using System.IO.Compression;
using System.Xml.Linq;
using KafkaO11y.EmbeddedKafka;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.Package;

/// <summary>
/// KafkaO11y.Kafka as another team would take it: <c>dotnet pack</c> gives a package with its
/// README, its API's XML docs and no dependency on this application or ASP.NET Core; a worker
/// service outside the solution that references only that package (from a folder feed) sends and
/// processes a message on the embedded cluster, and its two spans are one trace.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("kafkao11y-package-");

    // A version of its own each run: NuGet caches a package by id and version for good.
    private readonly string _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    [Fact]
    public async Task A_worker_service_that_takes_only_the_package_traces_a_message_from_send_to_process_in_one_trace()
    {
        var package = await PackAsync();
        AssertPackageContents(package);

        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic("orders", Partitions: 1)]);
        var app = Path.Combine(_work.FullName, "app");
        CopyDirectory(Repository.PathOf("KafkaO11y.Tests/Package/WorkerApp"), app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="packed" value="{Path.GetDirectoryName(package)}" />
              </packageSources>
            </configuration>
            """);

        var (exitCode, printed, errors) = await ChildProcess.RunAsync("dotnet", ["run", $"-p:KafkaO11yKafkaVersion={_version}"], app, Timeout,
            new Dictionary<string, string?>(NestedBuild.Environment())
            {
                ["ConnectionStrings__kafka"] = kafka.BootstrapServers,
                ["Kafka__Consumer__GroupId"] = "package-test",
                ["Kafka__Consumer__FetchWaitMaxMs"] = "10",
            });
        output.WriteLine(printed);
        Assert.True(exitCode == 0, $"The worker app exited with {exitCode}.\n{NestedBuild.Last(printed)}\n{NestedBuild.Last(errors)}");

        var spans = printed.Split('\n').Where(line => line.StartsWith("span|", StringComparison.Ordinal))
            .Select(line => line.Trim().Split('|'))
            .Select(fields => (Name: fields[1], Kind: fields[2], TraceId: fields[3], SpanId: fields[4], ParentSpanId: fields[5]))
            .ToList();
        var send = Assert.Single(spans, span => span.Name == "send orders");
        var process = Assert.Single(spans, span => span.Name == "process orders");
        Assert.Equal(("Producer", "Consumer"), (send.Kind, process.Kind));
        Assert.Equal(send.TraceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
    }

    /// <summary>Packs the integration from a copy of its project and the repository's build settings, not in the checkout the tests run from.</summary>
    private async Task<string> PackAsync()
    {
        var source = Path.Combine(_work.FullName, "source");
        CopyDirectory(Repository.PathOf("KafkaO11y.Kafka"), Path.Combine(source, "KafkaO11y.Kafka"));
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
        {
            File.Copy(Repository.PathOf(file), Path.Combine(source, file));
        }

        var feed = Path.Combine(_work.FullName, "feed");
        var (exitCode, printed, errors) = await ChildProcess.RunAsync("dotnet",
            ["pack", "KafkaO11y.Kafka/KafkaO11y.Kafka.csproj", "-c", "Release", "-o", feed, $"-p:Version={_version}"],
            source, Timeout, NestedBuild.Environment());
        Assert.True(exitCode == 0, $"dotnet pack exited with {exitCode}.\n{NestedBuild.Last(printed)}\n{NestedBuild.Last(errors)}");
        return Path.Combine(feed, $"KafkaO11y.Kafka.{_version}.nupkg");
    }

    /// <summary>The README and XML docs inside; dependencies only on Confluent.Kafka, Microsoft.Extensions.* and OpenTelemetry.</summary>
    private static void AssertPackageContents(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", entries);
        Assert.Contains("lib/net10.0/KafkaO11y.Kafka.dll", entries);
        Assert.Contains("lib/net10.0/KafkaO11y.Kafka.xml", entries);

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        Assert.Null(metadata.Element(ns + "frameworkReferences"));
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).ToList();
        Assert.Contains("Confluent.Kafka", dependencies);
        Assert.Contains("OpenTelemetry.Extensions.Hosting", dependencies);
        // librdkafka.redist (Confluent.Kafka's native client) and OpenTelemetry come pinned by the
        // repository's transitive pinning; nothing of ASP.NET Core or of this application.
        Assert.All(dependencies, id => Assert.True(
            id is "Confluent.Kafka" or "librdkafka.redist" || id.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || id.StartsWith("OpenTelemetry", StringComparison.Ordinal),
            $"The package depends on {id}"));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => _work.Delete(recursive: true);
}
