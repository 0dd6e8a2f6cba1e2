using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost.Kafka.Topics;

public static class KafkaTopicsBuilderExtensions
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The topics on a Kafka cluster (the AppHost's brokers, or an external one), created with
    /// Kafka's admin API when missing; the client settings reach it as they reach the services.
    /// </summary>
    public static IResourceBuilder<KafkaTopicsResource> AddKafkaTopics(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> kafka,
        IReadOnlyList<KafkaTopic> topics, KafkaClientSecurity security) =>
        builder.AddKafkaTopics(name, kafka, topics, security, admin => Task.FromResult(TopicProvisioner.CreateThrough(admin, CreateTimeout)));

    /// <summary>
    /// The topics on the embedded cluster, created through its own API: librdkafka's mock cluster
    /// does not serve Kafka's CreateTopics request. Everything else is the same step.
    /// </summary>
    public static IResourceBuilder<KafkaTopicsResource> AddKafkaTopics(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<EmbeddedKafkaResource> kafka,
        IReadOnlyList<KafkaTopic> topics) =>
        builder.AddKafkaTopics(name, kafka, topics, KafkaClientSecurity.None, async _ =>
        {
            var cluster = await kafka.Resource.Cluster;
            return (missing, _) =>
            {
                foreach (var topic in missing)
                {
                    cluster.CreateTopic(topic);
                }

                return Task.CompletedTask;
            };
        });

    private static IResourceBuilder<KafkaTopicsResource> AddKafkaTopics<TKafka>(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<TKafka> kafka,
        IReadOnlyList<KafkaTopic> topics, KafkaClientSecurity security,
        Func<IAdminClient, Task<Func<IReadOnlyList<KafkaTopic>, CancellationToken, Task>>> creator)
        where TKafka : class, IResourceWithConnectionString
    {
        return builder.AddResource(new KafkaTopicsResource(name, topics))
            .ExcludeFromManifest()
            .WithParentRelationship(kafka)
            .WaitFor(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "KafkaTopics",
                State = KnownResourceStates.NotStarted,
                Properties = [new("kafka.topics", string.Join(", ", topics.Select(t => $"{t.Name} ({t.Partitions} partitions)")))],
            })
            .OnInitializeResource(async (resource, e, cancellationToken) =>
            {
                // Returns once Kafka is healthy (the WaitFor above).
                await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, e.Services), cancellationToken);
                await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                try
                {
                    var config = new AdminClientConfig { BootstrapServers = await kafka.Resource.GetConnectionStringAsync(cancellationToken) };
                    await ApplyAsync(security, config, cancellationToken);
                    using var admin = new AdminClientBuilder(config)
                        .SetLogHandler((_, message) => KafkaClientLogging.Log(e.Logger, message))
                        .SetErrorHandler((client, error) => KafkaClientLogging.Error(e.Logger, client.Name, error))
                        .Build();
                    var provisioned = await new TopicProvisioner(admin, await creator(admin)).EnsureAsync(resource.Topics, cancellationToken);
                    foreach (var topic in provisioned)
                    {
                        e.Logger.LogInformation("{Topic}", topic);
                    }

                    await e.Notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = KnownResourceStates.Finished,
                        ExitCode = 0,
                        StopTimeStamp = DateTime.UtcNow,
                        Properties = [.. s.Properties.Where(p => p.Name != "kafka.topics"), new("kafka.topics", string.Join("; ", provisioned))],
                    });
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    // The services waiting for the topics then fail to start, naming this resource.
                    e.Logger.LogError(error, "The topics are not ready: {Reason}", error.Message);
                    await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart, StopTimeStamp = DateTime.UtcNow });
                }
            });
    }

    /// <summary>The external cluster's client settings (SASL/SSL), as the services get them.</summary>
    private static async Task ApplyAsync(KafkaClientSecurity security, ClientConfig config, CancellationToken cancellationToken)
    {
        new ConfigurationBuilder().AddInMemoryCollection(security.Settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build().Bind(config);
        if (security.SaslPassword is not null)
        {
            config.SaslPassword = await security.SaslPassword.Resource.GetValueAsync(cancellationToken);
        }
    }
}
