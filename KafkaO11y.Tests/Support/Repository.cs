namespace KafkaO11y.Tests.Support;

/// <summary>Paths in the repository the tests were built from.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Observability => Path.Combine(Root, "observability");

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KafkaO11y.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No KafkaO11y.sln above {AppContext.BaseDirectory}.");
    }
}
