using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The operating-system processes of a service the AppHost runs, found from the resource's pid
/// (Aspire starts a project through <c>dotnet run</c>, whose child is the service itself), so a
/// test can kill the service the way a crash does: SIGKILL, no shutdown code runs.
/// </summary>
public static class ServiceCrash
{
    /// <summary>Kills the running instance of <paramref name="resource"/> with SIGKILL (each given instance, with replicas); returns the pids killed.</summary>
    public static async Task<IReadOnlyList<int>> KillAsync(DistributedApplication app, string resource, params string[] instances)
    {
        var killed = new List<int>();
        var seen = new List<string>();
        var running = await RunningInstancesAsync(app, resource, Math.Max(1, instances.Length));
        foreach (var instance in running.Where(i => instances.Length == 0 || instances.Contains(i.ResourceId)))
        {
            var pid = Convert.ToInt32(instance.Snapshot.Properties.Single(p => p.Name == PidProperty).Value, System.Globalization.CultureInfo.InvariantCulture);
            seen.Add($"{instance.ResourceId}: pid {pid}");
            foreach (var service in ServiceProcesses(pid, resource))
            {
                service.Kill();
                await service.WaitForExitAsync();
                killed.Add(service.Id);
            }
        }

        Assert.True(killed.Count > 0, $"No {resource} process found under {string.Join("; ", seen)} ({running.Count} running)");
        return killed;
    }

    /// <summary>Once a killed service has exited, starts it again with Aspire's Start command, as a user would, and waits until it is healthy.</summary>
    public static async Task RestartAfterCrashAsync(DistributedApplication app, string resource, TimeSpan timeout)
    {
        await app.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.State?.Text is "Exited" or "Finished" or "FailedToStart").WaitAsync(timeout);
        var start = await app.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        Assert.True(start.Success, start.Message);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(timeout);
    }

    /// <summary>The running instances of a resource (one per replica), as the app's notifications report them.</summary>
    public static async Task<IReadOnlyList<ResourceEvent>> RunningInstancesAsync(DistributedApplication app, string resource, int atLeast)
    {
        var running = new Dictionary<string, ResourceEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var update in app.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name != resource)
            {
                continue;
            }

            if (update.Snapshot.State?.Text == KnownResourceStates.Running && update.Snapshot.Properties.Any(p => p.Name == PidProperty && p.Value is not null))
            {
                running[update.ResourceId] = update;
            }
            else
            {
                running.Remove(update.ResourceId);
            }

            if (running.Count >= atLeast)
            {
                break;
            }
        }

        return [.. running.Values];
    }

    // Aspire's snapshot property holding an executable's (here: dotnet run's) process id.
    private const string PidProperty = "executable.pid";

    /// <summary>The process itself or its descendants whose program is the service (KafkaO11y.Consumer, say).</summary>
    private static IEnumerable<Process> ServiceProcesses(int root, string resource)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && TryReadParent(pid) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        bool Descends(int pid)
        {
            for (var current = pid; current > 1; current = parents.GetValueOrDefault(current))
            {
                if (current == root)
                {
                    return true;
                }
            }

            return false;
        }

        var program = $"KafkaO11y.{char.ToUpperInvariant(resource[0])}{resource[1..]}";
        return parents.Keys.Where(Descends)
            .Select(pid => { try { return Process.GetProcessById(pid); } catch (ArgumentException) { return null; } })
            .OfType<Process>()
            // Linux keeps 15 characters of a program's name; .NET reads the whole one when it can.
            .Where(p => p.ProcessName == program || p.ProcessName == program[..Math.Min(program.Length, 15)]);
    }

    private static int? TryReadParent(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
