using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost;

public static class ModeAnnouncement
{
    /// <summary>
    /// Logs at start which mode runs and why; when Auto fell back to Embedded, one warning that
    /// says what is missing and how to get it; when Containers mode was asked for where it cannot
    /// run, one warning that names what is missing (DCP itself only says a container failed to start).
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
                    "Containers mode cannot run here ({Reason}), so Kafka runs embedded and telemetry goes to the Aspire dashboard: " +
                    "no broker JMX metrics, broker-side consumer lag, Tempo, Loki or Grafana (Prometheus and Alertmanager run if installed, see below). " +
                    "Run where Docker or Podman answers and can pull the images to get them, or pass --KafkaO11y:Mode=Embedded to silence this.",
                    settings.ModeReason);
            }

            if (settings.ContainersProblem is not null)
            {
                logger.LogWarning(
                    "Containers mode was asked for and cannot fully start here: {Problem}. The containers that need it will fail to start. " +
                    "Run where Docker or Podman answers and can pull the images, or pass --KafkaO11y:Mode=Embedded.",
                    settings.ContainersProblem);
            }

            return Task.CompletedTask;
        });
    }
}
