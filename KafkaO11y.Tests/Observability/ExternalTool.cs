namespace KafkaO11y.Tests.Observability;

/// <summary>
/// A command-line validator the tests run (promtool). Where it is missing, a test is reported as
/// skipped with the reason, never as passed; in CI (CI=true) a missing tool fails the test.
/// </summary>
public sealed record ExternalTool(string Name, string InstallHint)
{
    public static readonly ExternalTool Promtool = new("promtool", "apt-get install prometheus (Debian's package brings promtool)");

    public static readonly ExternalTool Chromium = new("chromium", "apt-get install chromium (Debian's package)");

    public string RequirePath()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, Name))
            .FirstOrDefault(File.Exists);
        if (path is not null)
        {
            return path;
        }

        var message = $"{Name} is not installed: {InstallHint}.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{message} CI must install it (.ci/run).");
        }

        Skip.If(true, message);
        return "";
    }

    /// <summary>Runs the tool and returns its exit code and everything it printed.</summary>
    public (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var (exitCode, output, errors) = ChildProcess.RunAsync(RequirePath(), arguments, workingDirectory).GetAwaiter().GetResult();
        return (exitCode, output + errors);
    }
}
