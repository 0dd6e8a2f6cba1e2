using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.AppHost;
using KafkaO11y.AppHost.Kafka.Topics;
using KafkaO11y.Tests.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.LocalImages;

/// <summary>
/// The AppHost's Containers topology (three brokers) started by DCP on this machine's container
/// engine, with local images standing in for the upstream ones, which no registry here serves
/// (.ci/build-test-images builds them):
/// <list type="bullet">
/// <item>Alertmanager is Debian's build of the pinned 0.33.1, run with the AppHost's own arguments and files;</item>
/// <item>every other container is a probe (probe.sh) run as its image's user, with the AppHost's
/// environment and files for it, listening where the component would and dialling every address
/// the run-mode wiring (<see cref="Connections"/>) says it is told.</item>
/// </list>
/// These are mechanism checks: DCP's file copies and owners, its network names and aliases, its
/// tunnel to host endpoints, its port publishing. What Kafka, the collector, Prometheus, Tempo, Loki
/// and Grafana do with what they are given only the real images can show (the Containers smoke suite).
/// The services and the topics step are left out: they would wait for a Kafka that is not there.
/// </summary>
public sealed class LocalImagesStack : IAsyncLifetime
{
    public static readonly string[] Arguments = ["--KafkaO11y:Mode=Containers", "--KafkaO11y:Kafka:Brokers=3"];

    public static readonly ContainerImage Probe = new("kafkao11y.local", "probe", "1", User: null);

    public static readonly ContainerImage DebianAlertmanager = new("kafkao11y.local", "alertmanager", ContainerImages.Alertmanager.Tag, ContainerImages.Alertmanager.User);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _consoles = new();
    private readonly string _otlpBody = Path.GetTempFileName();

    public DistributedApplication App { get; private set; } = null!;

    public Connections Wiring { get; private set; } = null!;

    /// <summary>What each stand-in was given: the user, its files, the ports it listens on, what it dials.</summary>
    public IReadOnlyDictionary<string, StandIn> StandIns { get; private set; } = null!;

    /// <summary>The trace id of the span the collector's stand-in sends to the dashboard's OTLP endpoint.</summary>
    public string OtlpTraceId { get; } = ActivityTraceId.CreateRandom().ToHexString();

    public const string OtlpService = "collector-stand-in";

    /// <summary>A stand-in's console, once it said DONE.</summary>
    public IReadOnlyList<string> Console(string container) => _consoles[container];

    public async Task InitializeAsync()
    {
        RequireEngineAndImages();
        using var timeout = new CancellationTokenSource(StartTimeout);

        // What each container is given and told, as DCP would resolve it (the same model, held before it starts).
        var standIns = new Dictionary<string, StandIn>();
        await using (var run = await RunModeModel.BuildAsync(Arguments))
        {
            Wiring = await Connections.OfAsync(run);
            foreach (var container in run.Model.Resources.OfType<ContainerResource>().Where(c => c.Name != "alertmanager"))
            {
                var dial = Wiring.Rows
                    .Where(r => r.Caller == container.Name && r.Network == Network.Containers && r.Reaches is not null)
                    // A tunnel port is DCP's choice at run time: the probe reads the variable it is in.
                    // A container told another's name is also checked at the name.dev.internal alias.
                    .SelectMany(r => r.Address.StartsWith($"{RunModeModel.ContainerTunnelHost}:", StringComparison.Ordinal) ? ["$" + r.Source]
                        : r.Address.StartsWith($"{r.Reaches!.Resource}:", StringComparison.Ordinal) ? [r.Address, $"{r.Reaches.Resource}.dev.internal{r.Address[r.Reaches.Resource.Length..]}"]
                        : new[] { r.Address })
                    .Distinct().ToList();
                standIns[container.Name] = new StandIn(
                    UserOf(container),
                    [.. (await run.FilesAsync(container)).Select(f => f.Path)],
                    Wiring.ContainerPortsOf(container.Name),
                    dial);
            }
        }

        StandIns = standIns;
        await File.WriteAllBytesAsync(_otlpBody, OtlpTraceRequest.Frame(
            OtlpService, "through the container tunnel", Convert.FromHexString(OtlpTraceId), Convert.FromHexString(ActivitySpanId.CreateRandom().ToHexString()), DateTimeOffset.UtcNow));

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaO11y_AppHost>(
            Arguments, (options, _) => options.DisableDashboard = false, timeout.Token);
        foreach (var resource in builder.Resources.Where(r => r is ProjectResource or KafkaTopicsResource || r.Name.EndsWith("-rebuilder", StringComparison.Ordinal)).ToList())
        {
            builder.Resources.Remove(resource);
        }

        foreach (var container in builder.Resources.OfType<ContainerResource>())
        {
            // Nothing waits: a stand-in is never healthy the way its component would be.
            RemoveAll<WaitAnnotation>(container);
            RemoveAll<HealthCheckAnnotation>(container);
            if (container.Name == "alertmanager")
            {
                UseImage(container, DebianAlertmanager);
            }
            else
            {
                StandInFor(container, standIns[container.Name]);
            }
        }

        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        await Task.WhenAll(standIns.Keys.Select(name => WatchUntilDoneAsync(name, timeout.Token)));
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        File.Delete(_otlpBody);
    }

    private void StandInFor(ContainerResource container, StandIn standIn)
    {
        UseImage(container, Probe);
        RemoveAll<DockerfileBuildAnnotation>(container);
        RemoveAll<CommandLineArgsCallbackAnnotation>(container);
        container.Entrypoint = "/bin/sh";
        container.Annotations.Add(new CommandLineArgsCallbackAnnotation(args => args.Add("/probe/probe.sh")));
        if (standIn.User is { } user)
        {
            container.Annotations.Add(new ContainerRuntimeArgsCallbackAnnotation(args =>
            {
                args.Add("--user");
                args.Add($"{user.Id}:{user.Group}");
            }));
        }

        var probeFiles = new List<ContainerFileSystemItem> { new ContainerFile { Name = "probe.sh", SourcePath = Repository.PathOf("KafkaO11y.Tests/LocalImages/probe.sh") } };
        var sendsOtlp = container.Name == "otel-collector";
        if (sendsOtlp)
        {
            probeFiles.Add(new ContainerFile { Name = "otlp-request.bin", SourcePath = _otlpBody });
        }

        container.Annotations.Add(new ContainerFileSystemCallbackAnnotation
        {
            DestinationPath = "/probe",
            Callback = (_, _) => Task.FromResult<IEnumerable<ContainerFileSystemItem>>(probeFiles),
            DefaultOwner = standIn.User?.Id,
            DefaultGroup = standIn.User?.Group,
        });
        container.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
        {
            environment["PROBE_FILES"] = string.Join(' ', standIn.Files);
            environment["PROBE_LISTEN"] = string.Join(' ', standIn.Ports);
            environment["PROBE_DIAL"] = string.Join(' ', standIn.Dial);
            if (sendsOtlp)
            {
                environment["PROBE_OTLP_BODY"] = "/probe/otlp-request.bin";
                environment["PROBE_OTLP_PATH"] = OtlpTraceRequest.ExportPath;
            }
        }));
    }

    private async Task WatchUntilDoneAsync(string container, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        // By the resource, not its name: DCP names the container's instance "<name>-<suffix>".
        var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == container);
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(cancellationToken))
            {
                lines.AddRange(batch.Select(l => l.Content));
                if (lines.Any(l => l.Contains("DONE", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            lines.Add($"(no DONE within {StartTimeout.TotalMinutes} minutes)");
        }

        _consoles[container] = lines;
    }

    /// <summary>The user the component's image runs as; the Kafka and Kafka UI images fix none, so their stand-ins run as root.</summary>
    private static ImageUser? UserOf(ContainerResource container)
    {
        var image = container.Annotations.OfType<ContainerImageAnnotation>().Single();
        return container.Name.EndsWith("-jmx", StringComparison.Ordinal)
            ? ContainerImages.JmxExporterUser
            : ContainerImages.Pinned.SingleOrDefault(i => i.Image == image.Image)?.User;
    }

    private static void UseImage(ContainerResource container, ContainerImage image)
    {
        RemoveAll<ContainerImageAnnotation>(container);
        container.Annotations.Add(new ContainerImageAnnotation { Registry = image.Registry, Image = image.Image, Tag = image.Tag });
    }

    private static void RemoveAll<T>(IResource resource)
        where T : IResourceAnnotation
    {
        foreach (var annotation in resource.Annotations.OfType<T>().ToList())
        {
            resource.Annotations.Remove(annotation);
        }
    }

    private static void RequireEngineAndImages()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var images = new[] { Probe.Reference, DebianAlertmanager.Reference };
        var problem = ContainerRuntime.Problem(configuration, images);
        ExternalTool.Require(problem is null,
            $"The local-images mechanism checks need a container engine and their images ({problem}): bash .ci/start-docker && bash .ci/build-test-images.");
    }
}

/// <summary>What a stand-in is given, from the run-mode wiring.</summary>
public sealed record StandIn(ImageUser? User, IReadOnlyList<string> Files, IReadOnlyList<int> Ports, IReadOnlyList<string> Dial);

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LocalImagesCollection : ICollectionFixture<LocalImagesStack>
{
    public const string Name = "Local images";
}
