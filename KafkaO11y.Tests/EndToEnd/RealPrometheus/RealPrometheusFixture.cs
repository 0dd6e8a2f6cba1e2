using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.AppHost.Alertmanager;
using KafkaO11y.AppHost.Prometheus;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.EndToEnd.RealPrometheus;

/// <summary>A command of the Aspire dashboard, with the arguments a user would type in.</summary>
public sealed record FaultCommand(string Resource, string Command, params (string Name, string Value)[] Arguments);

/// <summary>A fault and what it must fire (with the <paramref name="Labels"/> given per alert), may fire, and its undo.</summary>
public sealed record FaultScenario(
    string Name, FaultCommand Break, string[] Alerts, FaultCommand? Undo, string[]? MayAlsoFire = null,
    Dictionary<string, Dictionary<string, string>>? Labels = null)
{
    /// <summary>Whether a firing alert carries the labels the scenario names for it (its job, say).</summary>
    public bool Matches(ListedAlert alert) =>
        Labels?.GetValueOrDefault(alert.Name) is not { } labels || labels.All(l => alert.Labels.GetValueOrDefault(l.Key) == l.Value);

    /// <summary>Whether the scenario explains this firing alert.</summary>
    public bool Explains(ListedAlert alert) =>
        (Alerts.Contains(alert.Name) && Matches(alert)) || (MayAlsoFire ?? []).Contains(alert.Name);
}

/// <summary>What happened to one alert in a scenario: when it fired where, and whether the undo ended it.</summary>
public sealed record AlertOutcome(
    string Scenario, string Alert, TimeSpan? FiringAfter, bool InAlertmanager, bool ShownByReceiver, TimeSpan? InactiveAfterUndo, string? Problem);

/// <summary>
/// The application as a user with Prometheus 3 runs it in Embedded mode, with a real Prometheus
/// scraping the real services and a real Alertmanager, its time shortened by <see cref="PrometheusOverlay"/>
/// (1 s intervals, every rule duration divided by 20) in the folder it reads. Once
/// started, it breaks the system with the dashboard's fault commands, one scenario after the
/// other, and records what each alert did; the tests then read the record and query Prometheus.
/// </summary>
public sealed class RealPrometheusFixture : IAsyncLifetime
{
    public const int RuleTimeDivisor = 20;

    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan FireTimeout = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(150);

    private readonly List<HttpClient> _clients = [];

    /// <summary>Why the fixture could not run (no Prometheus 3 here), or null.</summary>
    public string? Missing { get; private set; }

    public DistributedApplication App { get; private set; } = null!;

    public PrometheusApi Prometheus { get; private set; } = null!;

    public AlertmanagerApi Alertmanager { get; private set; } = null!;

    /// <summary>From the first scrape of the services to the end of the last scenario.</summary>
    public DateTimeOffset Start { get; private set; }

    public DateTimeOffset End { get; private set; }

    public IReadOnlyList<AlertOutcome> Outcomes { get; private set; } = [];

    /// <summary>
    /// Each fault, as a user causes it with the dashboard's commands, the alerts it must fire, the
    /// ones it may fire too (its documented side effects, docs/tutorial/05-alerts.md), and its undo
    /// (none for a burst, which ends by itself). A resource's Stop and Start are Aspire's own commands.
    /// </summary>
    public static readonly IReadOnlyList<FaultScenario> Scenarios =
    [
        new("poison burst", new("producer", "send-poison"), ["KafkaDeadLetterMessages"], Undo: null,
            MayAlsoFire: ["KafkaProcessingErrorRateHigh"]),
        // Half the attempts fail: an eighth of the messages fail all three (the default 0.2 shows retries, not an outage).
        new("failing processing", new("consumer", "fail-fraction", ("failureRate", "0.5")), ["KafkaProcessingErrorRateHigh"], new("consumer", "stop-failures"),
            MayAlsoFire: ["KafkaDeadLetterMessages"]),
        new("slow consumer", new("consumer", "slow-down"), ["KafkaConsumerLagHigh", "KafkaEndToEndLatencyP99High"], new("consumer", "restore-speed")),
        // Messages that waited out the outage arrive late.
        new("broker down", new("kafka", "broker-down"), ["KafkaProduceErrorRateHigh"], new("kafka", "broker-up"),
            MayAlsoFire: ["KafkaEndToEndLatencyP99High"]),
        // The restarted consumer starts behind.
        new("consumer stopped", new("consumer", KnownResourceCommands.StopCommand), ["KafkaNoMessagesConsumedWhileProduced", "ScrapeTargetDown"],
            new("consumer", KnownResourceCommands.StartCommand), MayAlsoFire: ["KafkaEndToEndLatencyP99High", "KafkaConsumerLagHigh"],
            Labels: new() { ["ScrapeTargetDown"] = new Dictionary<string, string> { ["job"] = "consumer" } }),
    ];

    /// <summary>Per scenario, every alert that fired while it ran (name and labels), expected or not.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ListedAlert>> Fired { get; private set; } = new Dictionary<string, IReadOnlyList<ListedAlert>>();

    /// <summary>Per scenario, what went wrong around it (the system not quiet again afterwards), or nothing.</summary>
    public IReadOnlyDictionary<string, string?> ScenarioProblems { get; private set; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaO11y_AppHost>(
            [
                "--KafkaO11y:Mode=Embedded",
                "--ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true",
            ],
            // With the dashboard, as a user runs it: without it the services' OTLP exports fail, and
            // their exporters' retries hold a stopping service up past Aspire's stop timeout.
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        // Test time, before Prometheus reads its folder (the AppHost starts right after it is built).
        var interval = $"{ScrapeInterval.TotalSeconds}s";
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            if (e.Model.Resources.SingleOrDefault(r => r.Name == "prometheus") is { } prometheus)
            {
                new PrometheusOverlay(interval, interval, RuleTimeDivisor).ApplyTo(prometheus.PrometheusFiles().Directory);
            }

            return Task.CompletedTask;
        });
        App = await builder.BuildAsync(timeout.Token);
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        if (!model.Resources.Any(r => r.Name == "prometheus") || !model.Resources.Any(r => r.Name == "alertmanager"))
        {
            Missing = "Embedded mode found no Prometheus 3 or no Alertmanager: bash .ci/fetch-prometheus.";
            return;
        }

        await App.StartAsync(timeout.Token);
        foreach (var resource in new[] { "producer", "consumer", "prometheus", "alertmanager" })
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        Prometheus = new PrometheusApi(Client("prometheus"));
        Alertmanager = new AlertmanagerApi(Client("alertmanager"));

        // Both services scraped, and the start-up (group join, first messages) out of every window.
        await Poll.UntilAsync(Prometheus.TargetsAsync,
            targets => targets.Count(t => t.Labels["job"] is "producer" or "consumer" && t.Health == "up") == 2,
            StartTimeout, "the producer and consumer to be scraped");
        Start = DateTimeOffset.UtcNow;
        await Poll.UntilAsync(Prometheus.AlertsAsync, alerts => alerts.Count == 0, StartTimeout, "no alert pending or firing after start-up");

        // Second copies of a few messages, as a retrying producer sends them: the duplicates panel's data (no alert).
        await ExecuteAsync(new FaultCommand("producer", "send-duplicates"));

        var outcomes = new List<AlertOutcome>();
        var fired = new Dictionary<string, IReadOnlyList<ListedAlert>>();
        var problems = new Dictionary<string, string?>();
        foreach (var scenario in Scenarios)
        {
            // Everything that fires from the fault until the system is quiet again.
            using var watching = new CancellationTokenSource();
            var watcher = WatchFiringAsync(watching.Token);
            outcomes.AddRange(await RunAsync(scenario));
            // The next scenario starts from quiet, so each alert is its own scenario's doing.
            var quiet = await Until(async () => (await Prometheus.AlertsAsync()).Count == 0, ResolveTimeout);
            await watching.CancelAsync();
            fired[scenario.Name] = await watcher;
            problems[scenario.Name] = quiet ? null : $"alerts still pending or firing {ResolveTimeout.TotalSeconds} s after the undo: " +
                string.Join(", ", (await Prometheus.AlertsAsync()).Select(a => $"{a.Name} ({a.State})"));
        }

        Outcomes = outcomes;
        Fired = fired;
        ScenarioProblems = problems;
        End = DateTimeOffset.UtcNow;
    }

    private async Task<IReadOnlyList<ListedAlert>> WatchFiringAsync(CancellationToken stop)
    {
        var seen = new Dictionary<string, ListedAlert>();
        while (!stop.IsCancellationRequested)
        {
            foreach (var alert in (await Prometheus.AlertsAsync()).Where(a => a.State == "firing"))
            {
                seen.TryAdd(string.Join(',', alert.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")), alert);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return [.. seen.Values];
    }

    private async Task<IReadOnlyList<AlertOutcome>> RunAsync(FaultScenario scenario)
    {
        var started = Stopwatch.StartNew();
        await ExecuteAsync(scenario.Break);
        var fired = await Task.WhenAll(scenario.Alerts.Select(async alert =>
        {
            var firing = await Until(async () => (await Prometheus.AlertsAsync()).Any(a => a.Name == alert && a.State == "firing" && scenario.Matches(a)),
                FireTimeout);
            var firedAfter = firing ? started.Elapsed : (TimeSpan?)null;
            var inAlertmanager = firing && await Until(async () => (await Alertmanager.AlertsAsync()).Any(a => a.Name == alert), TimeSpan.FromSeconds(30));
            // Alertmanager's group_wait (10 s) before the receiver hears of it.
            var shown = firing && await ReceiverShowsAsync(alert, TimeSpan.FromSeconds(45));
            return (alert, firedAfter, inAlertmanager, shown);
        }));

        if (scenario.Undo is { } undo)
        {
            await ExecuteAsync(undo);
        }

        var undone = Stopwatch.StartNew();
        return await Task.WhenAll(fired.Select(async f =>
        {
            var inactive = await Until(async () => !(await Prometheus.AlertsAsync()).Any(a => a.Name == f.alert), ResolveTimeout);
            var inactiveAfter = inactive ? undone.Elapsed : (TimeSpan?)null;
            var leftAlertmanager = inactive && await Until(async () => !(await Alertmanager.AlertsAsync()).Any(a => a.Name == f.alert), TimeSpan.FromSeconds(30));
            var problem = f.firedAfter is null ? $"did not fire within {FireTimeout.TotalSeconds} s"
                : !f.inAlertmanager ? "fired in Prometheus but never reached Alertmanager"
                : !f.shown ? "reached Alertmanager but the alerts receiver never showed it"
                : inactiveAfter is null ? $"still pending or firing {ResolveTimeout.TotalSeconds} s after the undo"
                : !leftAlertmanager ? "resolved in Prometheus but Alertmanager still lists it"
                : null;
            return new AlertOutcome(scenario.Name, f.alert, f.firedAfter, f.inAlertmanager, f.shown, inactiveAfter, problem);
        }));
    }

    private async Task<bool> ReceiverShowsAsync(string alert, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await App.ResourceNotifications.WaitForResourceAsync("alerts",
                e => e.Snapshot.Properties.Any(p => p.Name == AlertReceiverResource.FiringProperty
                    && p.Value?.ToString()?.Split(", ").Contains(alert) == true),
                cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ExecuteAsync(FaultCommand command)
    {
        var arguments = new InteractionInputCollection([.. command.Arguments.Select(a =>
            new InteractionInput { Name = a.Name, InputType = InputType.Text, Value = a.Value })]);
        var result = await App.ResourceCommands.ExecuteCommandAsync(command.Resource, command.Command, arguments);
        if (!result.Success && command.Command == KnownResourceCommands.StopCommand)
        {
            // Aspire gives up waiting after about 15 s while the service may still be shutting down
            // (committing, leaving its group): what counts is that it stops.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await App.ResourceNotifications.WaitForResourceAsync(command.Resource,
                e => e.Snapshot.State?.Text is "Finished" or "Exited" or "Terminated", timeout.Token);
        }
        else if (!result.Success)
        {
            throw new InvalidOperationException($"{command.Resource} {command.Command}: {result.Message}");
        }
    }

    /// <summary>Whether <paramref name="condition"/> came to hold within the timeout: the outcome is recorded, not asserted.</summary>
    private static async Task<bool> Until(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        return false;
    }

    private HttpClient Client(string resource)
    {
        var client = new HttpClient { BaseAddress = App.GetEndpoint(resource, "http") };
        _clients.Add(client);
        return client;
    }

    public async Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>The real-Prometheus run: its own collection, never beside another app starting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealPrometheusCollection : ICollectionFixture<RealPrometheusFixture>
{
    public const string Name = "Real Prometheus";
}
