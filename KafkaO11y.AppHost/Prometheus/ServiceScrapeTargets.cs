using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost.Prometheus;

/// <summary>
/// Keeps the <c>services</c> job's target file in step with the services' replicas: Aspire gives
/// each replica its own port (behind one proxy, which a scrape must not go through, or it would
/// reach a different replica each time), known from the replica's environment once it starts.
/// </summary>
internal sealed partial class ServiceScrapeTargets(PrometheusFiles files, IReadOnlyList<ProjectResource> services)
{
    public const string Job = "services";

    public async Task FollowAsync(ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        // By replica; a stopped replica keeps its target, so that Prometheus reports it down (up == 0).
        var targets = new SortedDictionary<string, (string Address, string Job, string Instance)>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in notifications.WatchAsync(stopping))
            {
                if (!services.Contains(change.Resource) || TargetOf(change) is not { } target
                    || (targets.TryGetValue(change.ResourceId, out var known) && known == target))
                {
                    continue;
                }

                targets[change.ResourceId] = target;
                files.SetTargets(Job, targets.Values.Select(t => new TargetGroup(
                    [t.Address], new Dictionary<string, string> { ["job"] = t.Job, ["instance"] = t.Instance })));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            logger.LogError(error, "Prometheus's targets stopped following the services' replicas");
        }
    }

    /// <summary>
    /// The replica's own address (<c>ASPNETCORE_URLS</c>), and the <c>job</c> and <c>instance</c>
    /// its OTLP pushes would get (service name, <c>service.instance.id</c>).
    /// </summary>
    private static (string Address, string Job, string Instance)? TargetOf(ResourceEvent change)
    {
        string? Variable(string name) => change.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == name)?.Value;

        var url = Variable("ASPNETCORE_URLS")?.Split(';').FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal));
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port <= 0)
        {
            return null;
        }

        var instance = InstanceId().Match(Variable("OTEL_RESOURCE_ATTRIBUTES") ?? "") is { Success: true } match
            ? match.Groups[1].Value
            : change.ResourceId;
        return ($"127.0.0.1:{uri.Port}", Variable("OTEL_SERVICE_NAME") ?? change.Resource.Name, instance);
    }

    [GeneratedRegex(@"(?:^|,)service\.instance\.id=([^,]+)")]
    private static partial Regex InstanceId();
}
