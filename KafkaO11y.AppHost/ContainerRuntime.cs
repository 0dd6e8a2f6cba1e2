using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost;

/// <summary>
/// Whether Containers mode can run here, for Auto mode: the container runtime Aspire would use
/// answers, and the images are on this machine or can be pulled.
/// </summary>
public static class ContainerRuntime
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RegistryTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The runtime Aspire uses: its own setting, Docker by default.</summary>
    public static string Name(IConfiguration configuration) =>
        new[] { configuration["ASPIRE_CONTAINER_RUNTIME"], configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] }
            .FirstOrDefault(name => !string.IsNullOrWhiteSpace(name)) ?? "docker";

    /// <summary>Whether this AppHost's Containers mode can run (see the other overload).</summary>
    public static string? Problem(IDistributedApplicationBuilder builder) =>
        Problem(builder.Configuration, ContainerImages.NeededFromRegistry(ObservabilityFiles.RepositoryRoot(builder)));

    /// <summary>
    /// Null when the runtime answers and every image in <paramref name="images"/> is present or can be
    /// pulled; otherwise what is missing, in words for the user.
    /// </summary>
    public static string? Problem(IConfiguration configuration, IEnumerable<string> images)
    {
        var runtime = Name(configuration);
        var engine = Run(runtime, EngineVersion(runtime), AnswerTimeout);
        switch (engine)
        {
            case { NotInstalled: true }:
                return $"no container runtime ('{runtime}') is installed";
            case { TimedOut: true }:
                return $"'{runtime} version' did not answer within {AnswerTimeout.TotalSeconds} s";
            case { ExitCode: not 0 } or { Output.Length: 0 }:
                return $"the container runtime '{runtime}' is not running ({engine.FirstErrorLine})";
        }

        var missing = images.Where(image => Run(runtime, ["image", "inspect", "--format", "{{.Id}}", image], AnswerTimeout).ExitCode != 0).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        // Asks the registry for the image's manifest without pulling it: an engine that cannot reach
        // the registry would otherwise leave every container waiting for its image.
        var registry = Run(runtime, ["manifest", "inspect", missing[0]], RegistryTimeout);
        return registry switch
        {
            { ExitCode: 0 } => null,
            { TimedOut: true } => $"{runtime} {engine.Output} answers, but {missing[0]} is not on this machine and its registry did not answer within {RegistryTimeout.TotalSeconds} s",
            _ => $"{runtime} {engine.Output} answers, but {missing[0]} is not on this machine and cannot be pulled ({registry.FirstErrorLine})",
        };
    }

    /// <summary>
    /// Asks the engine itself for its version, with the template each runtime documents: Docker's
    /// <c>docker version</c> has a Server section only when the daemon answers; Podman's <c>podman info</c>
    /// reads its own runtime (or the Podman machine on macOS and Windows), and has no
    /// <c>.ServerVersion</c> field, so Docker's <c>info</c> template fails there.
    /// </summary>
    public static string[] EngineVersion(string runtime) =>
        Path.GetFileNameWithoutExtension(runtime).Equals("podman", StringComparison.OrdinalIgnoreCase)
            ? ["info", "--format", "{{.Version.Version}}"]
            : ["version", "--format", "{{.Server.Version}}"];

    private static Answer Run(string program, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return new Answer(-1, "", "", TimedOut: true, NotInstalled: false);
            }

            return new Answer(process.ExitCode, output.Result.Trim(), error.Result.Trim(), TimedOut: false, NotInstalled: false);
        }
        catch (Win32Exception)
        {
            return new Answer(-1, "", "", TimedOut: false, NotInstalled: true);
        }
    }

    private sealed record Answer(int ExitCode, string Output, string Error, bool TimedOut, bool NotInstalled)
    {
        public string FirstErrorLine =>
            Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { } line
                ? line
                : $"exit code {ExitCode}";
    }
}
