namespace KafkaO11y.Tests.Support;

/// <summary>For a <c>dotnet</c> build, pack or run that a test starts of its own.</summary>
internal static class NestedBuild
{
    /// <summary>This environment without what the test run set for itself (MSBuild's and the test host's variables), which would mislead the nested build.</summary>
    public static Dictionary<string, string?> Environment() =>
        System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(name => name, _ => (string?)null);

    /// <summary>The last lines of what a program printed, for a failure message.</summary>
    public static string Last(string text) => string.Join('\n', text.Split('\n').TakeLast(30));
}
