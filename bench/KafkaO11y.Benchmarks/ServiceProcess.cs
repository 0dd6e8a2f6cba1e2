using System.Net;
using System.Net.Sockets;
using KafkaO11y.Tests.Support;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// One of the app's services, run as `dotnet {service}.dll` in a child process (the tests' harness,
/// <see cref="ChildProcess"/>), listening on a free loopback port, configured only by what the
/// benchmark sets; the last lines it printed go into the error message when it fails.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private const int TailLines = 20;

    // The environment a service reads its configuration from: none of it may come from this
    // machine's shell, only from what the benchmark sets.
    private static readonly string[] ConfigurationPrefixes =
        ["OTEL_", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "ConnectionStrings__", "Kafka__", "Messaging__", "Generator__", "Processing__", "Logging__"];

    private readonly ChildProcess _process;

    private ServiceProcess(string name, ChildProcess process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    /// <summary>The last lines the service wrote to stderr (an unhandled exception), then to stdout (its console log).</summary>
    public string Tail => _process.Tail;

    /// <summary>Starts <c>dotnet {assembly}</c> in the assembly's folder (its content root: appsettings.json), listening on a free loopback port.</summary>
    public static ServiceProcess Start(string name, string assemblyPath, IReadOnlyDictionary<string, string> environment)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var inherited = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(key => ConfigurationPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
        var variables = inherited.ToDictionary(key => key, string? (_) => null);
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        variables["ASPNETCORE_URLS"] = baseAddress.ToString();
        var process = ChildProcess.Start("dotnet", [assemblyPath], Path.GetDirectoryName(assemblyPath), variables, keepLines: TailLines);
        return new ServiceProcess(name, process, baseAddress);
    }

    /// <summary>Fails with the service's last output when it is no longer running.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new BenchmarkFailedException(
                $"The {Name} (pid {_process.Id}) exited early with code {_process.ExitCode}. Its last output:{Environment.NewLine}{Tail}");
        }
    }

    /// <inheritdoc cref="ChildProcess.Memory"/>
    public (long Rss, long Peak)? Memory() => _process.Memory();

    /// <inheritdoc cref="ChildProcess.KillAsync"/>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>SIGTERM, as a service manager stops a service, then up to <paramref name="timeout"/> for it to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (!await _process.TerminateAsync(timeout))
        {
            throw new BenchmarkFailedException(
                $"The {Name} (pid {_process.Id}) did not stop within {timeout.TotalSeconds} s of SIGTERM. Its last output:{Environment.NewLine}{Tail}");
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    // The port is free now; the service binds it a moment later. On loopback, with ports handed out
    // in turn by the kernel, another process taking it meanwhile is very unlikely.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
