using System.ComponentModel;
using System.Diagnostics;

namespace KafkaO11y.AppHost;

/// <summary>
/// Programs of this machine the AppHost may run (Prometheus 3, Alertmanager) and the tests use
/// (promtool, amtool, go, chromium), found one way: a configured path, else the first on the PATH,
/// else what <c>bash .ci/fetch-prometheus</c> put into the repository's <c>.tools/bin</c>; and
/// only one whose <c>--version</c> line will do.
/// </summary>
public static class LocalPrograms
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The first of <paramref name="names"/> that runs and whose <c>--version</c> line
    /// <paramref name="unusableBecause"/> finds nothing wrong with; each one passed over is in
    /// <see cref="Found.Rejected"/> with the reason.
    /// </summary>
    /// <param name="configured">A path configuration gives, taken alone when set.</param>
    public static Found Find(string repositoryRoot, string? configured, Func<string, string?> unusableBecause, params string[] names)
    {
        var rejected = new List<string>();
        foreach (var candidate in Candidates(repositoryRoot, configured, names))
        {
            var said = Run(candidate, "--version")?.Split('\n', 2)[0].Trim();
            var problem = said is null ? "does not run" : unusableBecause(said);
            if (problem is null)
            {
                return new Found(candidate, said, rejected);
            }

            rejected.Add($"{candidate} ({problem})");
        }

        return new Found(null, null, rejected);
    }

    /// <summary>What the program prints (both streams) for <paramref name="argument"/>, or null when it cannot run.</summary>
    public static string? Run(string program, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, argument)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(AnswerTimeout))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return output.Result + errors.Result;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    private static IEnumerable<string> Candidates(string repositoryRoot, string? configured, string[] names)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            yield return Path.GetFullPath(configured);
            yield break;
        }

        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(repositoryRoot, ".tools", "bin"));
        foreach (var folder in folders)
        {
            foreach (var name in names)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path))
                {
                    yield return path;
                }
            }
        }
    }

    /// <param name="Path">The program, or null when none will do.</param>
    /// <param name="Version">Its <c>--version</c> line.</param>
    /// <param name="Rejected">Each program passed over, with why.</param>
    public sealed record Found(string? Path, string? Version, IReadOnlyList<string> Rejected);
}
