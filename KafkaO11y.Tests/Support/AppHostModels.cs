using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// Builds the AppHost through Aspire.Hosting.Testing, held before it starts anything
/// (<see cref="HeldAppHost"/>), and returns its model; the apps are disposed once, when the collection ends.
/// </summary>
public sealed class AppHostModels : IAsyncLifetime
{
    private readonly List<Task> _disposals = [];

    // Folders a built model laid out (Prometheus's, Alertmanager's): an app that never started does not remove them.
    private readonly List<string> _runFolders = [];

    // One model per argument set, shared by every test that asks for it (tests only read a model):
    // a build takes seconds, and the tests ask for a handful of argument sets many times.
    private readonly Dictionary<string, Task<DistributedApplicationModel>> _built = [];

    public Task<DistributedApplicationModel> BuildAsync(params string[] args)
    {
        var key = string.Join('\n', args);
        lock (_built)
        {
            if (!_built.TryGetValue(key, out var model))
            {
                _built[key] = model = BuildNewAsync(args);
            }

            return model;
        }
    }

    private async Task<DistributedApplicationModel> BuildNewAsync(string[] args)
    {
        var app = await HeldAppHost.BuildAsync(args);
        var model = app.Model;
        lock (_disposals)
        {
            _disposals.Add(app.DisposeAsync().AsTask());
            _runFolders.AddRange(model.Resources.SelectMany(r => r.Annotations.OfType<KafkaO11y.AppHost.RunFolderAnnotation>()).Select(a => a.Path));
        }

        return model;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Task[] disposals;
        lock (_disposals)
        {
            disposals = [.. _disposals];
        }

        await Task.WhenAll(disposals);
        _runFolders.ForEach(KafkaO11y.AppHost.RunFolderAnnotation.Delete);
    }
}

/// <summary>
/// Tests that build the AppHost in this process. They run alone: Aspire.Hosting.Testing finds the
/// AppHost's host through a process-wide listener, and a build beside another AppHost starting
/// waits out its 30 s timeout.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostBuildCollection : ICollectionFixture<AppHostModels>
{
    public const string Name = "AppHost builds";
}
