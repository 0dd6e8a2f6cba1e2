using Confluent.Kafka;
using KafkaO11y.Contracts;
using KafkaO11y.ServiceDefaults.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Kafka clients for the services, doing the job Aspire.Confluent.Kafka would: configuration
/// binding, the <c>kafka</c> connection string, a health check, tracing, metrics (librdkafka statistics
/// included) and librdkafka's logs and errors as log records.
/// </summary>
/// <remarks>
/// Configuration: <c>ConnectionStrings:{name}</c> is the bootstrap servers; the section
/// <c>Kafka:Client</c> binds onto every client (security: <c>Kafka__Client__SecurityProtocol=SaslSsl</c>,
/// <c>Kafka__Client__SaslMechanism</c>, <c>...SaslUsername</c>, <c>...SaslPassword</c>), then
/// <c>Kafka:Producer</c> and <c>Kafka:Consumer</c> onto Confluent.Kafka's <see cref="ProducerConfig"/>
/// and <see cref="ConsumerConfig"/> (for example <c>Kafka__Consumer__GroupId</c>, <c>Kafka__Producer__LingerMs</c>).
/// </remarks>
public static class KafkaClientExtensions
{
    public const string ClientSection = ConfigurationKeys.KafkaClient;
    public const string ProducerSection = ConfigurationKeys.KafkaProducer;
    public const string ConsumerSection = ConfigurationKeys.KafkaConsumer;

    // librdkafka's statistics are off by default; every 5 s is cheap and fine-grained enough for dashboards.
    private const int DefaultStatisticsIntervalMs = 5_000;

    /// <summary>
    /// Registers an instrumented <see cref="IProducer{TKey,TValue}"/>: idempotent, acks=all, with
    /// every send traced and counted.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(
        this IHostApplicationBuilder builder, string connectionName, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            StatisticsIntervalMs = DefaultStatisticsIntervalMs,
        };
        BindClientConfig(builder.Configuration, connectionName, ProducerSection, config);
        configure?.Invoke(config);

        AddStatistics(builder);
        builder.Services.AddSingleton<IProducer<TKey, TValue>>(services =>
        {
            var info = KafkaClientInfo.From(config);
            var statistics = services.GetRequiredService<KafkaStatisticsCollector>();
            var log = KafkaClientLogging.CreateLogger(services);
            var producer = new ProducerBuilder<TKey, TValue>(config)
                .SetStatisticsHandler((_, json) => statistics.Receive(info, json))
                .SetLogHandler((_, message) => KafkaClientLogging.Log(log, message))
                .SetErrorHandler((client, error) => KafkaClientLogging.Error(log, client.Name, error))
                .Build();
            return new InstrumentedProducer<TKey, TValue>(producer, info, services.GetRequiredService<KafkaStatisticsMetrics>());
        });
        AddHealthCheck<IProducer<TKey, TValue>>(builder, $"kafka-producer-{connectionName}");
        return builder;
    }

    /// <summary>
    /// Registers a <see cref="IConsumer{TKey,TValue}"/> whose statistics become metrics and whose
    /// messages are processed with <see cref="KafkaConsumerInstrumentation.ProcessAsync"/>.
    /// Offsets are stored only by the application (after processing) and committed automatically.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(
        this IHostApplicationBuilder builder, string connectionName, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            StatisticsIntervalMs = DefaultStatisticsIntervalMs,
        };
        BindClientConfig(builder.Configuration, connectionName, ConsumerSection, config);
        configure?.Invoke(config);
        if (string.IsNullOrWhiteSpace(config.GroupId))
        {
            throw new InvalidOperationException(
                $"A Kafka consumer needs a group id: set '{ConsumerSection}:GroupId' in configuration or in the configure callback.");
        }

        AddStatistics(builder);
        builder.Services.AddSingleton<IConsumer<TKey, TValue>>(services =>
        {
            var info = KafkaClientInfo.From(config);
            var statistics = services.GetRequiredService<KafkaStatisticsCollector>();
            var rebalance = new KafkaRebalanceTelemetry(services.GetRequiredService<ILogger<KafkaRebalanceTelemetry>>(), info);
            // Each handler only reports: Confluent.Kafka then assigns or unassigns the partitions itself.
            var log = KafkaClientLogging.CreateLogger(services);
            var consumer = new ConsumerBuilder<TKey, TValue>(config)
                .SetStatisticsHandler((_, json) => statistics.Receive(info, json))
                .SetLogHandler((_, message) => KafkaClientLogging.Log(log, message))
                .SetErrorHandler((client, error) => KafkaClientLogging.Error(log, client.Name, error))
                .SetPartitionsAssignedHandler((_, partitions) => rebalance.Assigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => rebalance.Revoked(partitions))
                .SetPartitionsLostHandler((_, partitions) => rebalance.Lost(partitions))
                .Build();
            return new InstrumentedConsumer<TKey, TValue>(consumer, info, services.GetRequiredService<KafkaStatisticsMetrics>());
        });
        AddHealthCheck<IConsumer<TKey, TValue>>(builder, $"kafka-consumer-{connectionName}");
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
        configuration.GetSection(ClientSection).Bind(config);
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

    // Once per service provider, however many clients: the metrics and the background service that feeds them.
    private static void AddStatistics(IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(KafkaStatisticsCollector)))
        {
            return;
        }

        builder.Services.AddMetrics();
        builder.Services.AddSingleton<KafkaStatisticsMetrics>();
        builder.Services.AddSingleton<KafkaStatisticsCollector>();
        builder.Services.AddHostedService(services => services.GetRequiredService<KafkaStatisticsCollector>());
    }

    private static void AddHealthCheck<TClient>(IHostApplicationBuilder builder, string name) where TClient : IClient =>
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => new KafkaClientHealthCheck(services.GetRequiredService<TClient>()),
            HealthStatus.Unhealthy,
            tags: ["ready"]));
}
