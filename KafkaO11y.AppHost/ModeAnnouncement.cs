using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost;

public static class ModeAnnouncement
{
    /// <summary>
    /// Logs at start which mode runs and why; when Auto fell back to Embedded, one warning that
    /// says what is missing and how to get it.
    /// </summary>
    public static void AnnounceMode(this IDistributedApplicationBuilder builder, KafkaO11ySettings settings)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaO11y.AppHost");
            logger.LogInformation("KafkaO11y mode: {Mode} ({Reason})", settings.Mode, settings.ModeReason);
            if (settings.FellBackToEmbedded)
            {
                logger.LogWarning(
                    "No usable container runtime ({Reason}), so Kafka runs embedded and telemetry goes to the Aspire dashboard: " +
                    "no broker JMX metrics, broker-side consumer lag, Tempo, Loki or Grafana (Prometheus and Alertmanager run if installed, see below). " +
                    "Start Docker or Podman and run again to get them, or pass --KafkaO11y:Mode=Embedded to silence this.",
                    settings.ModeReason);
            }

            return Task.CompletedTask;
        });
    }
}
