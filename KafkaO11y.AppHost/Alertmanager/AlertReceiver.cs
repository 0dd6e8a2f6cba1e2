using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost.Alertmanager;

/// <summary>
/// Where Alertmanager sends its notifications in Embedded mode: a webhook inside the AppHost that
/// shows them on the Aspire dashboard: one console line per alert (Console logs of this resource),
/// how many fire as the resource's state, and their names in its details (<c>alerts.firing</c>).
/// </summary>
public sealed class AlertReceiverResource(string name, int port) : Resource(name)
{
    public const string Path = "/alerts";

    /// <summary>The resource's property naming the firing alerts.</summary>
    public const string FiringProperty = "alerts.firing";

    public int Port { get; } = port;

    /// <summary>The webhook URL Alertmanager posts to.</summary>
    public string WebhookUrl => $"http://127.0.0.1:{Port}{Path}";
}

public static class AlertReceiverBuilderExtensions
{
    private const string FiringProperty = AlertReceiverResource.FiringProperty;

    public static IResourceBuilder<AlertReceiverResource> AddAlertReceiver(this IDistributedApplicationBuilder builder, string name)
    {
        var receiver = new AlertReceiverResource(name, RunFolders.FreeLoopbackPort());
        return builder.AddResource(receiver)
            .ExcludeFromManifest()
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "AlertReceiver",
                State = KnownResourceStates.NotStarted,
                Properties =
                [
                    new(CustomResourceKnownProperties.Source, "Alertmanager webhook (in the AppHost process)"),
                    new("alerts.webhook", receiver.WebhookUrl),
                ],
            })
            .OnInitializeResource(StartAsync);
    }

    private static async Task StartAsync(AlertReceiverResource receiver, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(receiver, e.Services), cancellationToken);
        var firing = new ConcurrentDictionary<string, ReceivedAlert>(StringComparer.Ordinal);

        var web = WebApplication.CreateSlimBuilder();
        web.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, receiver.Port));
        web.Logging.ClearProviders();
        // A body that is not Alertmanager's webhook JSON gets a 400 problem response, and nothing else changes.
        web.Services.AddProblemDetails();
        var app = web.Build();
        app.UseStatusCodePages();
        app.MapPost(AlertReceiverResource.Path, async (WebhookNotification? notification) =>
        {
            var alerts = notification?.Alerts?.Select(a => a?.Received()).ToList();
            if (alerts is null || alerts.Any(a => a is null))
            {
                return Results.Problem(
                    "Expected Alertmanager's webhook JSON: an 'alerts' list, each alert with status, labels, annotations and fingerprint.",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            foreach (var alert in alerts.OfType<ReceivedAlert>())
            {
                var name = alert.Labels.GetValueOrDefault("alertname", "?");
                var severity = alert.Labels.GetValueOrDefault("severity", "none");
                var summary = alert.Annotations.GetValueOrDefault("summary", "");
                if (alert.Status == "firing")
                {
                    firing[alert.Fingerprint] = alert;
                    e.Logger.LogWarning("FIRING {AlertName} ({Severity}): {Summary}", name, severity, summary);
                }
                else
                {
                    firing.TryRemove(alert.Fingerprint, out _);
                    e.Logger.LogInformation("RESOLVED {AlertName} ({Severity}): {Summary}", name, severity, summary);
                }
            }

            await e.Notifications.PublishUpdateAsync(receiver, s => s with
            {
                State = StateOf(firing.Values),
                Properties = [.. s.Properties.Where(p => p.Name != FiringProperty), new(FiringProperty, FiringNames(firing.Values))],
            });
            return Results.Ok();
        });

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception error)
        {
            e.Logger.LogError(error, "The alert receiver could not listen on {Url}", receiver.WebhookUrl);
            await e.Notifications.PublishUpdateAsync(receiver, s => s with { State = KnownResourceStates.FailedToStart });
            return;
        }

        var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() =>
        {
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            app.StopAsync(stopTimeout.Token).GetAwaiter().GetResult();
        });
        lifetime.ApplicationStopped.Register(() => app.DisposeAsync().AsTask().GetAwaiter().GetResult());
        e.Logger.LogInformation("Waiting for Alertmanager's notifications at {Url}", receiver.WebhookUrl);
        await e.Notifications.PublishUpdateAsync(receiver, s => s with
        {
            State = StateOf([]),
            StartTimeStamp = DateTime.UtcNow,
            Properties = [.. s.Properties, new(FiringProperty, "")],
        });
    }

    /// <summary>"No alerts firing" or "2 firing", as the resource's state (the dashboard's state column is narrow).</summary>
    private static ResourceStateSnapshot StateOf(ICollection<ReceivedAlert> firing) =>
        firing.Count == 0
            ? new("No alerts firing", KnownResourceStateStyles.Success)
            : new(
                $"{firing.Count} firing",
                firing.Any(a => a.Labels.GetValueOrDefault("severity") == "critical") ? KnownResourceStateStyles.Error : KnownResourceStateStyles.Warn);

    /// <summary>The firing alerts' names, in the resource's details.</summary>
    private static string FiringNames(ICollection<ReceivedAlert> firing) =>
        string.Join(", ", firing.Select(a => a.Labels.GetValueOrDefault("alertname", "?")).Distinct().Order());

    /// <summary>The parts of Alertmanager's webhook payload (version 4) the receiver shows.</summary>
    private sealed record WebhookNotification([property: JsonPropertyName("alerts")] IReadOnlyList<WebhookAlert?>? Alerts);

    private sealed record WebhookAlert(
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("labels")] Dictionary<string, string>? Labels,
        [property: JsonPropertyName("annotations")] Dictionary<string, string>? Annotations,
        [property: JsonPropertyName("fingerprint")] string? Fingerprint)
    {
        /// <summary>The alert, or null when a part the receiver needs is missing.</summary>
        public ReceivedAlert? Received() =>
            Status is null || Labels is null || Annotations is null || Fingerprint is null
                ? null
                : new ReceivedAlert(Status, Labels, Annotations, Fingerprint);
    }

    private sealed record ReceivedAlert(string Status, Dictionary<string, string> Labels, Dictionary<string, string> Annotations, string Fingerprint);
}
