namespace KafkaO11y.AppHost;

public static class ServiceBuilderExtensions
{
    /// <summary>
    /// Gives a service the <c>kafka</c> connection string and the topic, starts it only once Kafka
    /// runs, and lets Aspire probe its readiness (which includes its Kafka client's health check).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithKafka(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResourceWithConnectionString> kafka) =>
        service
            .WithReference(kafka)
            .WaitFor(kafka)
            .WithEnvironment("Messaging__Topic", KafkaO11ySettings.MessagesTopic.Name)
            .WithHttpHealthCheck("/health");
}
