namespace KafkaO11y.AppHost;

/// <summary>The <c>observability/</c> folder at the repository root: one folder per container, with what it mounts.</summary>
public static class ObservabilityFiles
{
    public static string PathOf(IDistributedApplicationBuilder builder, string relativePath) =>
        Path.GetFullPath(Path.Combine(RepositoryRoot(builder), "observability", relativePath));

    /// <summary>The repository the AppHost project is in.</summary>
    public static string RepositoryRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
}
