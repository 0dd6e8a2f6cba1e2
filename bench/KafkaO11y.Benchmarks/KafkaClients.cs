using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// The clients of each variant, configured as the services configure theirs (the Kafka integration
/// and the services' appsettings.json): the full variant's come from the integration itself
/// (<c>AddInstrumentedKafkaProducer</c>, <c>AddInstrumentedKafkaConsumer</c>: instrumented producer, statistics handler,
/// consumer registration), the others are plain Confluent.Kafka clients with the same settings.
/// </summary>
internal static class KafkaClients
{
    private const string ConnectionName = "kafka";
    private const string ProducerClientId = "kafka-o11y-producer";
    private const string ConsumerClientId = "kafka-o11y-consumer";
    private const int LingerMs = 5;
    private const int MessageTimeoutMs = 10_000;

    // Throughput only, a setting the services do not have. A consumer that drains its prefetch queue
    // faster than the broker refills it waits librdkafka's fetch.queue.backoff.ms (1 s by default)
    // before fetching again: at saturation that timer, not the consumer's work, would set the throughput.
    private const int FetchQueueBackoffMs = 10;

    // What the AppHost gives the services on embedded Kafka (EmbeddedKafkaCluster.ClientSettings). The
    // mock broker answers a fetch that finds no data only once the whole fetch.wait.max.ms has passed,
    // even if messages arrive meanwhile (rdkafka_mock_handlers.c, Fetch: "If there was no data, delay
    // up to MaxWait", it does not cut the wait short as a real broker does at fetch.min.bytes). With
    // librdkafka's default of 500 ms that wait, not the client, would be the end-to-end latency; with
    // 10 ms a message that arrives during an empty fetch waits up to 10 ms for the next one.
    private static readonly int FetchWaitMaxMs =
        int.Parse(EmbeddedKafkaCluster.ClientSettings["Kafka:Consumer:FetchWaitMaxMs"], System.Globalization.CultureInfo.InvariantCulture);

    public static Client<IProducer<string, byte[]>> Producer(Variant variant, string bootstrapServers)
    {
        if (variant.IsInstrumented)
        {
            var builder = NewHostBuilder(bootstrapServers);
            builder.Configuration["Kafka:Producer:ClientId"] = ProducerClientId;
            builder.Configuration["Kafka:Producer:LingerMs"] = LingerMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Kafka:Producer:MessageTimeoutMs"] = MessageTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.AddInstrumentedKafkaProducer<string, byte[]>(ConnectionName);
            return Client<IProducer<string, byte[]>>.FromHost(builder.Build());
        }

        // What AddInstrumentedKafkaProducer configures, without its statistics handler and instrumented wrapper.
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = ProducerClientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = LingerMs,
            MessageTimeoutMs = MessageTimeoutMs,
            DeliveryReportFields = "key,value,timestamp,status",
        };
        return new Client<IProducer<string, byte[]>>(new ProducerBuilder<string, byte[]>(config).Build(), host: null);
    }

    public static Client<IConsumer<string, byte[]>> Consumer(Variant variant, string bootstrapServers, string groupId,
        ConsumerTuning tuning = ConsumerTuning.Throughput)
    {
        var fetchQueueBackoffMs = tuning == ConsumerTuning.Throughput ? FetchQueueBackoffMs : (int?)null;
        var fetchWaitMaxMs = tuning == ConsumerTuning.AsTheServicesOnEmbeddedKafka ? FetchWaitMaxMs : (int?)null;
        if (variant.IsInstrumented)
        {
            var builder = NewHostBuilder(bootstrapServers);
            builder.Configuration["Kafka:Consumer:ClientId"] = ConsumerClientId;
            builder.Configuration["Kafka:Consumer:GroupId"] = groupId;
            if (fetchQueueBackoffMs is { } backoff)
            {
                builder.Configuration["Kafka:Consumer:FetchQueueBackoffMs"] = backoff.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (fetchWaitMaxMs is { } wait)
            {
                builder.Configuration["Kafka:Consumer:FetchWaitMaxMs"] = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            builder.AddInstrumentedKafkaConsumer<string, byte[]>(ConnectionName);
            return Client<IConsumer<string, byte[]>>.FromHost(builder.Build());
        }

        // What AddInstrumentedKafkaConsumer configures, without its statistics handler and registration.
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = ConsumerClientId,
            GroupId = groupId,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchQueueBackoffMs = fetchQueueBackoffMs,
            FetchWaitMaxMs = fetchWaitMaxMs,
        };
        return new Client<IConsumer<string, byte[]>>(new ConsumerBuilder<string, byte[]>(config).Build(), host: null);
    }

    // Only the Kafka integration's client registrations (and its statistics service, once started);
    // OpenTelemetry lives in BenchmarkTelemetry for the whole run.
    private static HostApplicationBuilder NewHostBuilder(string bootstrapServers)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration[$"ConnectionStrings:{ConnectionName}"] = bootstrapServers;
        // The benchmark's own telemetry host (BenchmarkTelemetry) collects the spans and metrics with
        // the sampler of the variant; a provider of this host's would record spans of its own.
        builder.Configuration["Kafka:DisableTracing"] = "true";
        builder.Configuration["Kafka:DisableMetrics"] = "true";
        return builder;
    }
}

/// <summary>Which settings a consumer gets beyond the services' appsettings.json.</summary>
internal enum ConsumerTuning
{
    /// <summary>fetch.queue.backoff.ms=10, so that at saturation no timer sets the pace.</summary>
    Throughput,

    /// <summary>fetch.wait.max.ms=10, as the AppHost configures the services on embedded Kafka.</summary>
    AsTheServicesOnEmbeddedKafka,
}

/// <summary>A client, and the host that built it (full variant), disposed together.</summary>
internal sealed class Client<T>(T instance, IHost? host) : IDisposable where T : class, IClient
{
    public T Instance { get; } = instance;

    /// <summary>The client a host built; the host is started, so its statistics become metrics as in a service.</summary>
    public static Client<T> FromHost(IHost host)
    {
        host.Start();
        return new(host.Services.GetRequiredService<T>(), host);
    }

    public void Dispose()
    {
        if (host is null)
        {
            Instance.Dispose();
        }
        else
        {
            // The host owns the singleton client, and its statistics metrics (their meter goes with it).
            host.Dispose();
        }
    }
}
