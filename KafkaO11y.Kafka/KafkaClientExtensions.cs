using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.Kafka;

/// <summary>
/// Instrumented Kafka clients for a .NET host (a worker or a web service): configuration binding,
/// the connection string, a health check, tracing, metrics (librdkafka statistics included) and
/// librdkafka's logs and errors as log records. Its names are its own, so a service can use it
/// beside Aspire.Confluent.Kafka.
/// </summary>
/// <remarks>
/// Configuration: <c>ConnectionStrings:{name}</c> is the bootstrap servers; the section
/// <c>Kafka:Client</c> (<see cref="KafkaConfigurationSections.Client"/>) binds onto every client (security: <c>Kafka__Client__SecurityProtocol=SaslSsl</c>,
/// <c>Kafka__Client__SaslMechanism</c>, <c>...SaslUsername</c>, <c>...SaslPassword</c>), then
/// <c>Kafka:Producer</c> and <c>Kafka:Consumer</c> onto Confluent.Kafka's <see cref="ProducerConfig"/>
/// and <see cref="ConsumerConfig"/> (for example <c>Kafka__Consumer__GroupId</c>, <c>Kafka__Producer__LingerMs</c>).
/// </remarks>
public static class KafkaClientExtensions
{
    // librdkafka's statistics are off by default; every 5 s is cheap and fine-grained enough for dashboards.
    private const int DefaultStatisticsIntervalMs = 5_000;

    // Everything Confluent.Kafka can put in a delivery report but the headers.
    private const string DefaultDeliveryReportFields = "key,value,timestamp,status";

    /// <summary>
    /// Registers an instrumented <see cref="IProducer{TKey,TValue}"/>: idempotent, acks=all, with
    /// every send traced and counted. Its delivery reports leave out the message's headers (the
    /// caller has them: copying them back from librdkafka costs every message an allocation);
    /// <c>DeliveryReportFields</c> (<c>all</c>, say) brings them back.
    /// </summary>
    /// <param name="builder">The host's builder.</param>
    /// <param name="connectionName">The name of the connection string that holds the bootstrap servers (<c>ConnectionStrings:{name}</c>).</param>
    /// <param name="configure">Changes the client configuration after it is bound from configuration.</param>
    /// <param name="configureSettings">Changes which parts of the integration run, after they are bound from configuration.</param>
    /// <param name="configureBuilder">
    /// Called on Confluent.Kafka's builder before it builds (serializers, for example); the
    /// statistics, log and error handlers are the integration's, and setting one again throws.
    /// </param>
    public static IHostApplicationBuilder AddInstrumentedKafkaProducer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<ProducerConfig>? configure = null,
        Action<KafkaClientSettings>? configureSettings = null,
        Action<ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var config = new ProducerConfig
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            StatisticsIntervalMs = DefaultStatisticsIntervalMs,
            DeliveryReportFields = DefaultDeliveryReportFields,
        };
        BindClientConfig(builder.Configuration, connectionName, KafkaConfigurationSections.Producer, config);
        configure?.Invoke(config);

        var settings = AddIntegration(builder, configureSettings);
        builder.Services.AddSingleton<IProducer<TKey, TValue>>(services =>
        {
            var info = KafkaClientInfo.From(config);
            var statistics = services.GetRequiredService<KafkaStatisticsCollector>();
            var log = KafkaClientLogging.CreateLogger(services);
            var producerBuilder = new ProducerBuilder<TKey, TValue>(config)
                .SetStatisticsHandler((_, json) => statistics.Receive(info, json))
                .SetLogHandler((_, message) => KafkaClientLogging.Log(log, message))
                .SetErrorHandler((client, error) => KafkaClientLogging.Error(log, client.Name, error));
            configureBuilder?.Invoke(producerBuilder);
            return new InstrumentedProducer<TKey, TValue>(producerBuilder.Build(), info, services.GetRequiredService<KafkaStatisticsMetrics>());
        });
        if (!settings.DisableHealthChecks)
        {
            AddHealthCheck<IProducer<TKey, TValue>>(builder, $"kafka-producer-{connectionName}");
        }

        return builder;
    }

    /// <summary>
    /// Registers a <see cref="IConsumer{TKey,TValue}"/> whose statistics become metrics and whose
    /// messages are processed with <c>ProcessAsync</c> (<see cref="KafkaConsumerInstrumentation"/>).
    /// Offsets are stored only by the application (after processing) and committed automatically.
    /// </summary>
    /// <param name="builder">The host's builder.</param>
    /// <param name="connectionName">The name of the connection string that holds the bootstrap servers (<c>ConnectionStrings:{name}</c>).</param>
    /// <param name="configure">Changes the client configuration after it is bound from configuration.</param>
    /// <param name="configureSettings">Changes which parts of the integration run, after they are bound from configuration.</param>
    /// <param name="configureBuilder">
    /// Called on Confluent.Kafka's builder before it builds (deserializers, for example); the
    /// statistics, log, error and rebalance handlers are the integration's, and setting one again throws.
    /// </param>
    public static IHostApplicationBuilder AddInstrumentedKafkaConsumer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<ConsumerConfig>? configure = null,
        Action<KafkaClientSettings>? configureSettings = null,
        Action<ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var config = new ConsumerConfig
        {
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            StatisticsIntervalMs = DefaultStatisticsIntervalMs,
        };
        BindClientConfig(builder.Configuration, connectionName, KafkaConfigurationSections.Consumer, config);
        configure?.Invoke(config);
        if (string.IsNullOrWhiteSpace(config.GroupId))
        {
            throw new InvalidOperationException(
                $"A Kafka consumer needs a group id: set '{KafkaConfigurationSections.Consumer}:GroupId' in configuration or in the configure callback.");
        }

        var settings = AddIntegration(builder, configureSettings);
        builder.Services.AddSingleton<IConsumer<TKey, TValue>>(services =>
        {
            var info = KafkaClientInfo.From(config);
            var statistics = services.GetRequiredService<KafkaStatisticsCollector>();
            var rebalance = new KafkaRebalanceTelemetry(services.GetRequiredService<ILogger<KafkaRebalanceTelemetry>>(), info);
            var log = KafkaClientLogging.CreateLogger(services);
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(config)
                .SetStatisticsHandler((_, json) => statistics.Receive(info, json))
                .SetLogHandler((_, message) => KafkaClientLogging.Log(log, message))
                .SetErrorHandler((client, error) => KafkaClientLogging.Error(log, client.Name, error))
                // Each rebalance handler only reports: Confluent.Kafka then assigns or unassigns the partitions itself.
                .SetPartitionsAssignedHandler((_, partitions) => rebalance.Assigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => rebalance.Revoked(partitions))
                .SetPartitionsLostHandler((_, partitions) => rebalance.Lost(partitions));
            configureBuilder?.Invoke(consumerBuilder);
            return new InstrumentedConsumer<TKey, TValue>(consumerBuilder.Build(), info, services.GetRequiredService<KafkaStatisticsMetrics>(), settings.TraceShape);
        });
        if (!settings.DisableHealthChecks)
        {
            AddHealthCheck<IConsumer<TKey, TValue>>(builder, $"kafka-consumer-{connectionName}");
        }

        return builder;
    }

    /// <summary>Collects the spans of the Kafka integration.</summary>
    public static TracerProviderBuilder AddKafkaInstrumentation(this TracerProviderBuilder tracing) =>
        tracing.AddSource(KafkaTelemetry.ActivitySourceName);

    /// <summary>Collects the messaging metrics and the librdkafka statistics metrics.</summary>
    /// <remarks>
    /// The statistics instruments are created with the first client; a meter provider listening to
    /// the meter picks up instruments published after it started.
    /// </remarks>
    public static MeterProviderBuilder AddKafkaInstrumentation(this MeterProviderBuilder metrics) =>
        metrics.AddMeter(KafkaTelemetry.MeterName);

    private static void BindClientConfig(IConfiguration configuration, string connectionName, string section, ClientConfig config)
    {
        configuration.GetSection(KafkaConfigurationSections.Client).Bind(config);
        configuration.GetSection(section).Bind(config);
        var connectionString = configuration.GetConnectionString(connectionName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            config.BootstrapServers = connectionString;
        }

        if (string.IsNullOrWhiteSpace(config.BootstrapServers))
        {
            throw new InvalidOperationException(
                $"No Kafka bootstrap servers: set the connection string 'ConnectionStrings:{connectionName}' " +
                $"(the AppHost does it with WithReference) or '{section}:BootstrapServers'.");
        }
    }

    /// <summary>
    /// What every client shares, registered once however many clients: the statistics metrics and
    /// the background service that feeds them, and the integration's spans and meter in the
    /// service's OpenTelemetry unless the settings turn them off.
    /// </summary>
    private static KafkaClientSettings AddIntegration(IHostApplicationBuilder builder, Action<KafkaClientSettings>? configureSettings)
    {
        var settings = new KafkaClientSettings();
        builder.Configuration.GetSection(KafkaConfigurationSections.Settings).Bind(settings);
        configureSettings?.Invoke(settings);

        if (!builder.Services.Any(service => service.ServiceType == typeof(KafkaStatisticsCollector)))
        {
            builder.Services.AddMetrics();
            builder.Services.AddSingleton<KafkaStatisticsMetrics>();
            builder.Services.AddSingleton<KafkaStatisticsCollector>();
            builder.Services.AddHostedService(services => services.GetRequiredService<KafkaStatisticsCollector>());
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddKafkaInstrumentation());
        }

        if (!settings.DisableMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddKafkaInstrumentation());
        }

        return settings;
    }

    private static void AddHealthCheck<TClient>(IHostApplicationBuilder builder, string name) where TClient : IClient =>
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => KafkaMetadataHealthCheck.ForClient(services.GetRequiredService<TClient>()),
            HealthStatus.Unhealthy,
            tags: ["ready"]));
}
