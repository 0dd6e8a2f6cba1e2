using KafkaO11y.Contracts;
using KafkaO11y.Kafka;

namespace KafkaO11y.AppHost.Services;

public static class ServiceBuilderExtensions
{
    /// <summary>
    /// Gives a service the <c>kafka</c> connection string, the topic and the client settings the
    /// Kafka resource asks for, starts it only once Kafka runs and its topics are ready, and lets
    /// Aspire probe its readiness (which includes its Kafka client's health check).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithKafka(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResourceWithConnectionString> kafka,
        IResourceBuilder<KafkaTopicsResource> topics)
    {
        service
            .WithReference(kafka)
            .WaitFor(kafka)
            .WaitForCompletion(topics)
            .WithEnvironment(ConfigurationKeys.EnvironmentVariable(ConfigurationKeys.MessagingTopic), KafkaO11ySettings.MessagesTopic.Name)
            .WithHttpHealthCheck("/health");

        foreach (var (key, value) in kafka.Resource.Annotations.OfType<KafkaClientSettingsAnnotation>().SelectMany(a => a.Settings))
        {
            service.WithEnvironment(ConfigurationKeys.EnvironmentVariable(key), value);
        }

        return service;
    }

    /// <summary>
    /// The Consumer's batch size and trace shape, from the AppHost's <c>KafkaO11y:Consumer</c>
    /// settings: set on the service whatever their value, so the dashboard shows them.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBatchesAndTraceShape(this IResourceBuilder<ProjectResource> consumer, ConsumerOptions options) =>
        consumer
            .WithEnvironment(ConfigurationKeys.EnvironmentVariable(ConfigurationKeys.ProcessingBatchSize), options.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment(ConfigurationKeys.EnvironmentVariable($"{KafkaConfigurationSections.Settings}:{nameof(KafkaClientSettings.TraceShape)}"), options.TraceShape.ToString());
}
