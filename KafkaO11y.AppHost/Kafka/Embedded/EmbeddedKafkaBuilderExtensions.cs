using KafkaO11y.EmbeddedKafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost.Kafka.Embedded;

public static class EmbeddedKafkaBuilderExtensions
{
    /// <summary>
    /// Adds Kafka that runs inside the AppHost (librdkafka's mock cluster): no container needed.
    /// It starts with the application with no topics (<c>AddKafkaTopics</c> creates them), logs its
    /// bootstrap address and stops when the AppHost stops.
    /// </summary>
    public static IResourceBuilder<EmbeddedKafkaResource> AddEmbeddedKafka(
        this IDistributedApplicationBuilder builder, string name, int brokers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var kafka = new EmbeddedKafkaResource(name, brokers);

        return builder.AddResource(kafka)
            .ExcludeFromManifest()
            .WithAnnotation(new KafkaClientSettingsAnnotation(EmbeddedKafkaCluster.ClientSettings))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "EmbeddedKafka",
                State = KnownResourceStates.NotStarted,
                Properties =
                [
                    new(CustomResourceKnownProperties.Source, "librdkafka mock cluster (in the AppHost process)"),
                    new("kafka.brokers", brokers),
                ],
            })
            .OnInitializeResource(StartAsync);
    }

    private static async Task StartAsync(EmbeddedKafkaResource kafka, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(kafka, e.Services), cancellationToken);
        await e.Notifications.PublishUpdateAsync(kafka, s => s with { State = KnownResourceStates.Starting });

        EmbeddedKafkaCluster cluster;
        try
        {
            cluster = EmbeddedKafkaCluster.Start(kafka.Brokers, topics: []);
        }
        catch (Exception error)
        {
            kafka.FailedToStart(error);
            e.Logger.LogError(error, "The embedded Kafka failed to start");
            await e.Notifications.PublishUpdateAsync(kafka, s => s with { State = KnownResourceStates.FailedToStart });
            return;
        }

        // Stop the brokers only after the services have stopped, so consumers can commit and leave their group.
        e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(cluster.Dispose);

        // One line on the AppHost's console and in the resource's log, for any Kafka tool to connect with.
        const string Started = "Embedded Kafka ({Brokers} broker(s), librdkafka mock cluster) listening at bootstrap servers {BootstrapServers}";
        e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaO11y.AppHost.EmbeddedKafka")
            .LogInformation(Started, cluster.Brokers, cluster.BootstrapServers);
        e.Logger.LogInformation(Started, cluster.Brokers, cluster.BootstrapServers);

        kafka.Started(cluster);
        await e.Notifications.PublishUpdateAsync(kafka, s => s with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
            Urls = [.. cluster.BootstrapServers.Split(',').Select(address => new UrlSnapshot("bootstrap", $"tcp://{address}", IsInternal: false))],
            Properties = [.. s.Properties, new("kafka.bootstrap.servers", cluster.BootstrapServers)],
        });
        await e.Eventing.PublishAsync(new ConnectionStringAvailableEvent(kafka, e.Services), cancellationToken);
    }
}
