using System.Text.Json;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.Mutation;

/// <summary>
/// The quick set of the mutation check (<c>.ci/mutation-test --quick</c>, Stryker.NET): the
/// Consumer's message processor and the Kafka integration's header propagation, whose tests need no
/// broker. Each mutant is a small bug; a file's score is the share of them its tests catch.
/// </summary>
[Collection(QuickMutationCollection.Name)]
public sealed class QuickMutationTests(ITestOutputHelper testOutput)
{
    private const double MinimumScore = 85;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(20);

    [Fact]
    public async Task The_tests_catch_at_least_85_percent_of_the_mutants_of_the_processor_and_the_header_propagation()
    {
        // Stryker builds the test project and puts its mutants beside it: on a copy, not on the
        // build this test runs from.
        var copy = Directory.CreateTempSubdirectory("kafkao11y-mutation-");
        try
        {
            await CopyRepositoryAsync(copy.FullName);
            var reports = Path.Combine(copy.FullName, "StrykerOutput");
            var (exitCode, output, errors) = await ChildProcess.RunAsync("bash", [".ci/mutation-test", "--quick", "--output", reports],
                copy.FullName, Timeout, NestedBuild.Environment());

            var scores = new List<string>();
            var below = new List<string>();
            foreach (var part in new[] { "processor", "propagation" })
            {
                var report = Path.Combine(reports, part, "reports", "mutation-report.json");
                Assert.True(File.Exists(report), $"Stryker wrote no report for {part} (exit code {exitCode}).\n{NestedBuild.Last(output)}\n{NestedBuild.Last(errors)}");
                foreach (var (file, score, survivors) in Scores(report))
                {
                    scores.Add($"{file}: {score:F1} %");
                    testOutput.WriteLine($"{file}: {score:F1} %; not caught:\n  {string.Join("\n  ", survivors)}");
                    if (score < MinimumScore)
                    {
                        below.Add($"{file}: {score:F1} % (at least {MinimumScore} %); not caught:\n  {string.Join("\n  ", survivors)}");
                    }
                }
            }

            Assert.True(below.Count == 0, string.Join('\n', below));
            Assert.True(exitCode == 0, $"Stryker exited with {exitCode} ({string.Join(", ", scores)}).\n{NestedBuild.Last(errors)}");
            Assert.Equal(2, scores.Count);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    /// <summary>Each mutated file's score (caught of all mutants a test could have caught) and the mutants not caught.</summary>
    private static IEnumerable<(string File, double Score, List<string> Survivors)> Scores(string report)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(report));
        foreach (var file in json.RootElement.GetProperty("files").EnumerateObject())
        {
            var source = file.Value.GetProperty("source").GetString()!.Split('\n');
            var (caught, total, survivors) = (0, 0, new List<string>());
            foreach (var mutant in file.Value.GetProperty("mutants").EnumerateArray())
            {
                var status = mutant.GetProperty("status").GetString();
                if (status is "Killed" or "Timeout")
                {
                    caught++;
                    total++;
                }
                else if (status is "Survived" or "NoCoverage")
                {
                    total++;
                    var line = mutant.GetProperty("location").GetProperty("start").GetProperty("line").GetInt32();
                    survivors.Add($"line {line} ({mutant.GetProperty("mutatorName").GetString()}): {source[line - 1].Trim()}");
                }
            }

            if (total > 0)
            {
                yield return (Path.GetFileName(file.Name), 100.0 * caught / total, survivors);
            }
        }
    }

    /// <summary>The repository's files as they are now (committed or not, ignored ones left out).</summary>
    private static async Task CopyRepositoryAsync(string destination)
    {
        var (exitCode, files, errors) = await ChildProcess.RunAsync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], Repository.Root);
        Assert.True(exitCode == 0, $"git ls-files failed: {errors}");
        foreach (var file in files.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = Path.Combine(Repository.Root, file);
            if (File.Exists(source))
            {
                var target = Path.Combine(destination, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
        }
    }
}

/// <summary>The mutation check builds and runs tests on both cores: it runs alone, after the tests that run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuickMutationCollection
{
    public const string Name = "Quick mutation check";
}
