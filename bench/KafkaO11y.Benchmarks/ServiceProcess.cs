using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// One of the app's services, run as `dotnet {service}.dll` in a child process. Its console output
/// is read as it comes (so its console logger never waits for a full pipe) and the last lines are
/// kept for the error message when it fails. Disposing kills it, with any children, if it still runs.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private const int TailLines = 20;

    // The environment a service reads its configuration from: none of it may come from this
    // machine's shell, only from what the benchmark sets.
    private static readonly string[] ConfigurationPrefixes =
        ["OTEL_", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "ConnectionStrings__", "Kafka__", "Messaging__", "Generator__", "Processing__", "Logging__"];

    // Children still running when this process exits (Ctrl+C, an unhandled error) are killed.
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    static ServiceProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    };

    private ServiceProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet {assembly}</c> in the assembly's folder (its content root: appsettings.json), listening on a free loopback port.</summary>
    public static ServiceProcess Start(string name, string assemblyPath, IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { assemblyPath },
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var key in start.Environment.Keys.Where(key => ConfigurationPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();

        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(name, process, baseAddress);
        process.OutputDataReceived += (_, line) => Keep(service._stdout, line.Data);
        process.ErrorDataReceived += (_, line) => Keep(service._stderr, line.Data);
        process.Start();
        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>The last lines the service wrote to stderr (an unhandled exception), then to stdout (its console log).</summary>
    public string Tail => string.Join(Environment.NewLine,
        [$"  stderr ({_stderr.Count} last lines):", .. _stderr.Select(line => "    " + line), $"  stdout ({_stdout.Count} last lines):", .. _stdout.Select(line => "    " + line)]);

    /// <summary>Fails with the service's last output when it is no longer running.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new BenchmarkFailedException(
                $"The {Name} (pid {_process.Id}) exited early with code {_process.ExitCode}. Its last output:{Environment.NewLine}{Tail}");
        }
    }

    /// <summary>Resident set size now (VmRSS) and its peak since the process started (VmHWM), in bytes; null once it exited.</summary>
    public (long Rss, long Peak)? Memory()
    {
        try
        {
            long rss = -1, peak = -1;
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kibibytes(line) * 1024;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kibibytes(line) * 1024;
                }
            }

            return rss < 0 || peak < 0 ? null : (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash or an OOM kill (no shutdown, no final commit or flush).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as a service manager stops a service, then up to <paramref name="timeout"/> for it to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        Posix.Terminate(_process.Id);
        using var waited = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(waited.Token);
        }
        catch (OperationCanceledException)
        {
            throw new BenchmarkFailedException(
                $"The {Name} (pid {_process.Id}) did not stop within {timeout.TotalSeconds} s of SIGTERM. Its last output:{Environment.NewLine}{Tail}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }

    private static void Keep(ConcurrentQueue<string> tail, string? line)
    {
        if (line is null)
        {
            return;
        }

        tail.Enqueue(line);
        while (tail.Count > TailLines && tail.TryDequeue(out _))
        {
        }
    }

    // "VmRSS:	  123456 kB"
    private static long Kibibytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);

    // The port is free now; the service binds it a moment later. On loopback, with ports handed out
    // in turn by the kernel, another process taking it meanwhile is very unlikely.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
