using Confluent.Kafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KafkaO11y.Tests.Kafka;

/// <summary>
/// The Kafka integration's settings (section <c>Kafka</c>), as Aspire's integrations have them: by
/// default it brings its health check, tracing and metrics; each can be turned off, from
/// configuration or code; and a builder hook reaches Confluent.Kafka's builder.
/// </summary>
public sealed class KafkaClientSettingsTests
{
    [Fact]
    public void By_default_a_client_brings_its_health_check_tracing_and_metrics()
    {
        using var host = Build(configuration: []);

        Assert.Contains(HealthChecks(host), name => name == "kafka-producer-kafka");
        Assert.Contains(HealthChecks(host), name => name == "kafka-consumer-kafka");
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void Each_part_turns_off_from_configuration()
    {
        using var host = Build(new()
        {
            ["Kafka:DisableHealthChecks"] = "true",
            ["Kafka:DisableTracing"] = "true",
            ["Kafka:DisableMetrics"] = "true",
        });

        Assert.Empty(HealthChecks(host));
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void Code_overrides_configuration_and_the_builder_hook_reaches_confluents_builder()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = "localhost:9092";
        builder.Configuration["Kafka:DisableHealthChecks"] = "false";
        var hooked = false;
        builder.AddInstrumentedKafkaProducer<string, string>("kafka",
            configureSettings: settings => settings.DisableHealthChecks = true,
            configureBuilder: producer =>
            {
                hooked = true;
                producer.SetValueSerializer(Serializers.Utf8);
            });
        using var host = builder.Build();

        Assert.Empty(HealthChecks(host));
        using var producer = host.Services.GetRequiredService<IProducer<string, string>>();
        Assert.True(hooked);
    }

    /// <summary>
    /// The trace shape: the producer's trace continued by default; the other shape from
    /// configuration (every consumer) or from one consumer's <c>configureSettings</c>.
    /// </summary>
    [Theory]
    [InlineData(null, null, KafkaTraceShape.ContinueProducerTrace)]
    [InlineData("LinkToProducerTrace", null, KafkaTraceShape.LinkToProducerTrace)]
    [InlineData("LinkToProducerTrace", KafkaTraceShape.ContinueProducerTrace, KafkaTraceShape.ContinueProducerTrace)]
    [InlineData(null, KafkaTraceShape.LinkToProducerTrace, KafkaTraceShape.LinkToProducerTrace)]
    public void The_trace_shape_is_set_from_configuration_or_per_consumer_in_code(string? configured, KafkaTraceShape? inCode, KafkaTraceShape expected)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = "localhost:9092";
        builder.Configuration["Kafka:Consumer:GroupId"] = "settings-test";
        builder.Configuration["Kafka:TraceShape"] = configured;
        builder.AddInstrumentedKafkaConsumer<string, byte[]>("kafka", configureSettings: settings =>
        {
            if (inCode is { } shape)
            {
                settings.TraceShape = shape;
            }
        });
        using var host = builder.Build();

        using var consumer = host.Services.GetRequiredService<IConsumer<string, byte[]>>();
        Assert.Equal(expected, Assert.IsType<InstrumentedConsumer<string, byte[]>>(consumer).TraceShape);
    }

    private static IHost Build(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = "localhost:9092";
        builder.Configuration["Kafka:Consumer:GroupId"] = "settings-test";
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        builder.AddInstrumentedKafkaConsumer<string, byte[]>("kafka");
        return builder.Build();
    }

    private static IEnumerable<string> HealthChecks(IHost host) =>
        host.Services.GetService<IOptions<HealthCheckServiceOptions>>()?.Value.Registrations.Select(r => r.Name) ?? [];
}
