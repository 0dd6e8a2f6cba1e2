using KafkaO11y.Contracts;

namespace KafkaO11y.AppHost.Kafka;

/// <summary>
/// Client settings for an external cluster (SASL/SSL), from the AppHost section
/// <c>KafkaO11y:Kafka:Client</c> (any Confluent.Kafka client property, such as
/// <c>SecurityProtocol</c>, <c>SaslMechanism</c>, <c>SaslUsername</c>, <c>SslCaLocation</c>), with the
/// SASL password kept in the secret parameter <c>kafka-sasl-password</c>.
/// </summary>
/// <param name="Settings">Property name to value, passed on as they are.</param>
/// <param name="SaslPassword">The secret parameter, when a SASL user name is configured.</param>
public sealed record KafkaClientSecurity(IReadOnlyDictionary<string, string> Settings, IResourceBuilder<ParameterResource>? SaslPassword)
{
    public const string Section = "KafkaO11y:Kafka:Client";
    public const string SaslPasswordParameter = "kafka-sasl-password";

    public static readonly KafkaClientSecurity None = new(new Dictionary<string, string>(), SaslPassword: null);

    public string? SaslMechanism => Settings.GetValueOrDefault("SaslMechanism");

    public string? SaslUsername => Settings.GetValueOrDefault("SaslUsername");

    /// <param name="client"><see cref="KafkaOptions.Client"/>: the section's settings by name.</param>
    public static KafkaClientSecurity From(IDistributedApplicationBuilder builder, IReadOnlyDictionary<string, string> client)
    {
        var settings = new Dictionary<string, string>(client);
        if (settings.Remove("SaslPassword"))
        {
            throw new InvalidOperationException(
                $"{Section}:SaslPassword must not be set in configuration: give the password as the secret parameter " +
                $"'Parameters:{SaslPasswordParameter}' (user secrets), so it is never committed.");
        }

        var password = settings.ContainsKey("SaslUsername") ? builder.AddParameter(SaslPasswordParameter, secret: true) : null;
        return new KafkaClientSecurity(settings, password);
    }
}

public static class KafkaClientSecurityExtensions
{
    /// <summary>Passes the client settings to a service as <c>Kafka__Client__*</c> (ServiceDefaults binds them onto every client).</summary>
    public static IResourceBuilder<ProjectResource> WithKafkaClientSecurity(
        this IResourceBuilder<ProjectResource> service, KafkaClientSecurity security)
    {
        foreach (var (name, value) in security.Settings)
        {
            service.WithEnvironment(ConfigurationKeys.EnvironmentVariable($"{ConfigurationKeys.KafkaClient}:{name}"), value);
        }

        if (security.SaslPassword is not null)
        {
            service.WithEnvironment(ConfigurationKeys.EnvironmentVariable($"{ConfigurationKeys.KafkaClient}:SaslPassword"), security.SaslPassword);
        }

        return service;
    }

    /// <summary>
    /// Gives the collector's kafka_metrics receiver the same SASL credentials, over TLS, through the
    /// overlay <c>observability/otel-collector/kafka-sasl.yaml</c> merged onto its main config.
    /// </summary>
    public static IResourceBuilder<OpenTelemetryCollectorResource> WithKafkaClientSecurity(
        this IResourceBuilder<OpenTelemetryCollectorResource> collector, IDistributedApplicationBuilder builder, KafkaClientSecurity security)
    {
        if (security.SaslPassword is null)
        {
            return collector;
        }

        // Confluent.Kafka's enum names, as the services take them, to the collector's mechanism names.
        var mechanism = security.SaslMechanism?.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "PLAIN" => "PLAIN",
            "SCRAMSHA256" => "SCRAM-SHA-256",
            "SCRAMSHA512" => "SCRAM-SHA-512",
            var other => throw new InvalidOperationException(
                $"{KafkaClientSecurity.Section}:SaslMechanism is '{other}'; with a SASL user name it must be Plain, ScramSha256 or ScramSha512."),
        };

        return collector
            .WithFilesFor(OpenTelemetryCollectorResource.ConfigFolder, ContainerImages.OpenTelemetryCollector.User,
                ObservabilityFiles.PathOf(builder, "otel-collector/kafka-sasl.yaml"))
            .WithArgs(
                $"--config={OpenTelemetryCollectorResource.ConfigFolder}/config.yaml",
                $"--config={OpenTelemetryCollectorResource.ConfigFolder}/kafka-sasl.yaml")
            .WithEnvironment("KAFKA_SASL_MECHANISM", mechanism)
            .WithEnvironment("KAFKA_SASL_USERNAME", security.SaslUsername!)
            .WithEnvironment("KAFKA_SASL_PASSWORD", security.SaslPassword);
    }
}
