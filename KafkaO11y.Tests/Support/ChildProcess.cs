using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// A program run as a child process, for the tests and the benchmark program alike (which compiles
/// this file too): its output is read as it comes, so it never blocks on a full pipe, and kept
/// whole or only its last lines; disposing kills it with its children if it still runs, and so does
/// this process's exit.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    // Children still running when this process exits (Ctrl+C, an unhandled error) are killed.
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly int? _keepLines;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
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

    private ChildProcess(Process process, string commandLine, int? keepLines)
    {
        _process = process;
        _commandLine = commandLine;
        _keepLines = keepLines;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What it wrote to stdout (only the last lines when started to keep only those).</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>What it wrote to stderr (only the last lines when started to keep only those).</summary>
    public string Errors => string.Join('\n', _errors);

    /// <summary>Its stderr (an unhandled exception), then its stdout (a service's console log), indented for an error message.</summary>
    public string Tail => string.Join(Environment.NewLine,
        [$"  stderr ({_errors.Count} lines):", .. _errors.Select(line => "    " + line), $"  stdout ({_output.Count} lines):", .. _output.Select(line => "    " + line)]);

    /// <summary>
    /// Starts <paramref name="fileName"/>. <paramref name="environment"/> adds to this process's
    /// environment, and a null value removes a variable; <paramref name="keepLines"/> keeps only the
    /// last lines of each stream, for a program that runs long (null keeps everything).
    /// </summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, int? keepLines = null, bool redirectInput = false)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, string.Join(' ', [fileName, .. start.ArgumentList]), keepLines);
        process.OutputDataReceived += (_, line) => child.Keep(child._output, line.Data);
        process.ErrorDataReceived += (_, line) => child.Keep(child._errors, line.Data);
        process.Start();
        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>) and returns what it printed, each stream apart.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? input = null)
    {
        await using var child = Start(fileName, arguments, workingDirectory, environment, redirectInput: input is not null);
        if (input is not null)
        {
            await child._process.StandardInput.WriteAsync(input);
            child._process.StandardInput.Close();
        }

        using var cancellation = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan);
        try
        {
            // Returns once the program has exited and both streams are read to their end.
            await child._process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{child._commandLine} did not finish in {timeout}.\n{child.Errors}");
        }

        return (child.ExitCode, child.Output, child.Errors);
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

    /// <summary>SIGKILL: the process dies at once, as in a crash or an OOM kill (no shutdown code runs).</summary>
    public Task KillAsync() => KillAsync(entireProcessTree: false);

    /// <summary>SIGTERM, as a service manager stops a service (.NET has no API to send it), then up to <paramref name="timeout"/> for it to exit; false if it still runs.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        _ = kill(_process.Id, SigTerm);
        using var waited = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(waited.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync(entireProcessTree: true);
        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }

    private async Task KillAsync(bool entireProcessTree)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree);
            await _process.WaitForExitAsync();
        }
    }

    private void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        while (lines.Count > _keepLines && lines.TryDequeue(out _))
        {
        }
    }

    // "VmRSS:	  123456 kB"
    private static long Kibibytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
