using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The AppHost's model in Run mode, as DCP would have it just before it starts the resources: every
/// endpoint allocated the way DCP allocates it, and every resource's environment, arguments and
/// container files resolved with that resource as the caller (as DCP resolves them).
/// <list type="bullet">
/// <item>On the host: each endpoint gets a proxy port on <c>localhost</c> (its fixed port when it has one, else a new one).</item>
/// <item>On the containers' network: a container's endpoint is <c>&lt;name&gt;.dev.internal:&lt;target port&gt;</c> (DcpModelUtilities.AddContainerNetworkAllocatedEndpoint);
/// a host endpoint is reached through Aspire's container tunnel at <c>aspire.dev.internal:&lt;tunnel port&gt;</c> (AddContainerTunnelAllocatedEndpoints).</item>
/// </list>
/// The model is the one the AppHost's start has reached BeforeStartEvent with (<see cref="HeldAppHost"/>): the Aspire
/// dashboard's resource is in it, so a value that names the dashboard resolves as it would at run time.
/// </summary>
public sealed class RunModeModel : IAsyncDisposable
{
    public const string ContainerTunnelHost = "aspire.dev.internal";

    private readonly HeldAppHost _app;

    private RunModeModel(HeldAppHost app)
    {
        _app = app;
    }

    public DistributedApplicationModel Model => _app.Model;

    public IServiceProvider Services => _app.Services;

    public static async Task<RunModeModel> BuildAsync(params string[] args)
    {
        var app = await HeldAppHost.BuildAsync(args, withDashboard: true);
        Allocate(app.Model);
        return new RunModeModel(app);
    }

    public IResource Resource(string name) => Model.Resources.Single(r => r.Name == name);

    /// <summary>The environment and arguments DCP would give <paramref name="resource"/>.</summary>
    public async Task<ResolvedConfiguration> ResolveAsync(IResource resource)
    {
        var executionContext = Services.GetRequiredService<DistributedApplicationExecutionContext>();
        var result = await ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .WithEnvironmentVariablesConfig()
            .BuildAsync(executionContext);
        if (result.Exception is not null)
        {
            throw new InvalidOperationException($"{resource.Name}: its configuration could not be resolved.", result.Exception);
        }

        return new ResolvedConfiguration(
            result.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value),
            [.. result.Arguments.Select(a => a.Value)]);
    }

    /// <summary>Every file a container is given: copied in (with owner and mode) or bind-mounted from the host.</summary>
    public Task<IReadOnlyList<ContainerFileGiven>> FilesAsync(IResource container) => FilesAsync(container, Services);

    /// <inheritdoc cref="FilesAsync(IResource)"/>
    public static async Task<IReadOnlyList<ContainerFileGiven>> FilesAsync(IResource container, IServiceProvider services)
    {
        var files = new List<ContainerFileGiven>();
        foreach (var annotation in container.Annotations.OfType<ContainerFileSystemCallbackAnnotation>())
        {
            var context = new ContainerFileSystemCallbackContext { Services = services, Model = container };
            foreach (var item in await annotation.Callback(context, CancellationToken.None))
            {
                Collect(item, annotation.DestinationPath, annotation.DefaultOwner ?? 0, annotation.DefaultGroup ?? 0, files);
            }
        }

        foreach (var mount in container.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount))
        {
            var source = mount.Source!;
            var paths = File.Exists(source) ? [source] : Directory.GetFiles(source, "*", SearchOption.AllDirectories);
            foreach (var path in paths)
            {
                var target = File.Exists(source) ? mount.Target : $"{mount.Target}/{Path.GetRelativePath(source, path).Replace('\\', '/')}";
                files.Add(new ContainerFileGiven(target, File.ReadAllText(path), Copy: null, BindMountedFrom: path));
            }
        }

        return files;
    }

    private static void Collect(ContainerFileSystemItem item, string parent, int owner, int group, List<ContainerFileGiven> files)
    {
        var path = $"{parent.TrimEnd('/')}/{item.Name}";
        var itemOwner = item.Owner ?? owner;
        var itemGroup = item.Group ?? group;
        switch (item)
        {
            case ContainerDirectory directory:
                foreach (var entry in directory.Entries)
                {
                    Collect(entry, path, itemOwner, itemGroup, files);
                }

                break;
            case ContainerFile file:
                var contents = file.Contents ?? File.ReadAllText(file.SourcePath!);
                files.Add(new ContainerFileGiven(path, contents, new CopiedFile(itemOwner, itemGroup, item.Mode), BindMountedFrom: null));
                break;
        }
    }

    /// <summary>Gives every endpoint the addresses DCP would (see the class summary).</summary>
    private static void Allocate(DistributedApplicationModel model)
    {
        var nextHostPort = 40001;
        var nextTunnelPort = 50001;
        foreach (var resource in model.Resources.OfType<IResourceWithEndpoints>())
        {
            var isContainer = resource is ContainerResource;
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                // A proxied endpoint's proxy listens at its fixed port, or at one DCP picks; an
                // endpoint that is not proxied listens at its own port.
                var hostPort = endpoint.Port ?? (endpoint.IsProxied ? nextHostPort++ : endpoint.TargetPort ?? nextHostPort++);
                var targetPortExpression = $"{{{{- portForServing \"{resource.Name}-{endpoint.Name}\" -}}}}";
                endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", hostPort, EndpointBindingMode.SingleAddress, targetPortExpression, KnownNetworkIdentifiers.LocalhostNetwork);
                var onContainers = isContainer
                    ? new AllocatedEndpoint(endpoint, $"{resource.Name}.dev.internal", endpoint.TargetPort!.Value, EndpointBindingMode.SingleAddress, targetPortExpression, KnownNetworkIdentifiers.DefaultAspireContainerNetwork)
                    : new AllocatedEndpoint(endpoint, ContainerTunnelHost, nextTunnelPort++, EndpointBindingMode.SingleAddress, targetPortExpression, KnownNetworkIdentifiers.DefaultAspireContainerNetwork);
                endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(KnownNetworkIdentifiers.DefaultAspireContainerNetwork, onContainers);
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed record ResolvedConfiguration(IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Arguments);

/// <summary>A file as a container sees it at <paramref name="Path"/>: copied in (<paramref name="Copy"/>), or bind-mounted from the host.</summary>
public sealed record ContainerFileGiven(string Path, string Contents, CopiedFile? Copy, string? BindMountedFrom);

public sealed record CopiedFile(int Owner, int Group, UnixFileMode Mode);
