using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The AppHost built through Aspire.Hosting.Testing and held just before it would start anything.
/// The testing builder runs the AppHost's Program.cs, whose <c>builder.Build().Run()</c> goes on to
/// start the application in the background once the test has built it; here its start stops in
/// <see cref="BeforeStartEvent"/>, after Aspire's own handlers have run (the dashboard's resource is
/// in the model then), and is abandoned on dispose: DCP never creates a container or a process.
/// </summary>
public sealed class HeldAppHost : IAsyncDisposable
{
    private readonly DistributedApplication _app;
    private readonly Hold _hold;

    private HeldAppHost(DistributedApplication app, Hold hold, IServiceProvider services, DistributedApplicationModel model)
    {
        _app = app;
        _hold = hold;
        Services = services;
        Model = model;
    }

    public IServiceProvider Services { get; }

    public DistributedApplicationModel Model { get; }

    public static async Task<HeldAppHost> BuildAsync(string[] args, bool withDashboard = false)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaO11y_AppHost>(
            args, (options, _) => options.DisableDashboard = !withDashboard);
        var hold = new Hold();
        // Subscribed last, so its handler runs after every other handler of BeforeStartEvent.
        builder.Services.AddSingleton<IDistributedApplicationEventingSubscriber>(hold);
        var app = await builder.BuildAsync();
        var (services, model) = await hold.Reached.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return new HeldAppHost(app, hold, services, model);
    }

    public async ValueTask DisposeAsync()
    {
        _hold.Release.TrySetCanceled();
        await _app.DisposeAsync();
    }

    private sealed class Hold : IDistributedApplicationEventingSubscriber
    {
        public TaskCompletionSource<(IServiceProvider, DistributedApplicationModel)> Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
        {
            eventing.Subscribe<BeforeStartEvent>(async (e, _) =>
            {
                Reached.TrySetResult((e.Services, e.Model));
                // Never released: disposing cancels it, which ends the start with an exception.
                await Release.Task;
            });
            return Task.CompletedTask;
        }
    }
}
