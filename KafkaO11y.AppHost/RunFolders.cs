using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaO11y.AppHost;

/// <summary>A folder the AppHost made for a resource in the system's temporary folder.</summary>
public sealed record RunFolderAnnotation(string Path) : IResourceAnnotation
{
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A program may still be closing its files; the system cleans its temporary folder anyway.
        }
    }
}

/// <summary>Folders and ports for the programs the AppHost configures itself (Prometheus, Alertmanager, the alert receiver).</summary>
public static class RunFolders
{
    /// <summary>
    /// A new folder in the system's temporary folder for what a program of this run reads and
    /// writes (configs laid out from observability/, Prometheus's data). Once the application has
    /// started, it is removed when the AppHost stops; a model that is only built keeps it
    /// (<see cref="RunFolderAnnotation"/> names it).
    /// </summary>
    public static string CreateRunFolder(this IDistributedApplicationBuilder builder, string name)
    {
        // For its owner only (0700): a container gets copies of its files, owned by the image's user.
        var folder = Directory.CreateTempSubdirectory($"kafka-o11y-{name}-").FullName;
        builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((e, _) =>
        {
            e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => RunFolderAnnotation.Delete(folder));
            return Task.CompletedTask;
        });
        return folder;
    }

    /// <summary>A free port on the loopback interface, for a program that is told its port.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
