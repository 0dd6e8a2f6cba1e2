using System.Diagnostics;
using System.ComponentModel;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.AppHost;

/// <summary>Whether a container runtime (the one Aspire would use) answers, for Auto mode.</summary>
public static class ContainerRuntime
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Null when the runtime answers; otherwise what went wrong, in words for the user.</summary>
    public static string? Problem(IConfiguration configuration)
    {
        // Aspire's own setting for which runtime to use; Docker by default.
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            if (!process.WaitForExit(AnswerTimeout))
            {
                process.Kill(entireProcessTree: true);
                return $"'{runtime} info' did not answer within {AnswerTimeout.TotalSeconds} s";
            }

            return process.ExitCode == 0 ? null : $"the container runtime '{runtime}' is not running";
        }
        catch (Win32Exception)
        {
            return $"no container runtime ('{runtime}') is installed";
        }
    }
}
