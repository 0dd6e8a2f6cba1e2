using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.AppHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Containers;

/// <summary>
/// Containers mode as <c>dotnet run --project KafkaO11y.AppHost</c> starts it where Docker or
/// Podman answers: Kafka, its JMX exporter (built from observability/jmx-exporter), the collector,
/// Prometheus, Alertmanager, Tempo, Loki, Grafana and the two services, once for the whole smoke
/// suite. Where no container runtime answers it starts nothing and <see cref="SkipReason"/> says
/// why: these machines have none, so this suite is run by hand on one that has
/// (<c>dotnet test --filter Category=Containers</c>).
/// </summary>
public sealed class ContainersAppFixture : IAsyncLifetime
{
    /// <summary>Generous: the first run pulls every image and builds the exporter's.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(15);

    public const string Category = "Containers";

    /// <summary>A file to which the reason for skipping is appended, when set.</summary>
    public const string SkipReportVariable = "KAFKAO11Y_SKIP_REPORT";

    public DistributedApplication App { get; private set; } = null!;

    public DistributedApplicationModel Model { get; private set; } = null!;

    /// <summary>Why the suite cannot run here, or null when the application started.</summary>
    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        var problem = ContainersHere.Problem();
        if (problem is not null)
        {
            SkipReason = $"Containers smoke suite cannot run here: {problem} (run it where Docker or Podman answers and can pull the images: dotnet test --filter Category=Containers)";
            // .ci/run prints why its run skipped these tests (the test logger shows only that it did).
            if (Environment.GetEnvironmentVariable(SkipReportVariable) is { Length: > 0 } report)
            {
                await File.AppendAllTextAsync(report, SkipReason + Environment.NewLine);
            }

            return;
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaO11y_AppHost>(
            ["--KafkaO11y:Mode=Containers"], timeout.Token);
        App = await builder.BuildAsync(timeout.Token);
        Model = App.Services.GetRequiredService<DistributedApplicationModel>();
        await App.StartAsync(timeout.Token);
        foreach (var resource in Model.Resources.Where(Runs))
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token);
        }
    }

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource, "http");

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>The resources that run (containers and projects); parameters and connection strings do not.</summary>
    public static bool Runs(IResource resource) =>
        resource is ContainerResource or ProjectResource;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainersAppCollection : ICollectionFixture<ContainersAppFixture>
{
    public const string Name = "Containers application";
}
