using KafkaO11y.Consumer;
using KafkaO11y.Kafka;
using Microsoft.Extensions.Hosting;

namespace KafkaO11y.Tests.Support;

/// <summary>The Consumer's work (its worker, processor and dead-letter publisher, with its Kafka clients) in the test process.</summary>
internal static class InProcessConsumer
{
    /// <summary>
    /// Starts it on <paramref name="topic"/> of the given cluster, its group committing every 100 ms
    /// and processing without delay; <paramref name="configure"/> may change settings or services first.
    /// </summary>
    public static IHost Start(string bootstrapServers, string topic, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:kafka"] = bootstrapServers;
        builder.Configuration["Kafka:Consumer:GroupId"] = $"{topic}-group";
        builder.Configuration["Kafka:Consumer:AutoCommitIntervalMs"] = "100";
        builder.Configuration["Messaging:Topic"] = topic;
        builder.Configuration["Processing:DelayMilliseconds"] = "0";
        builder.AddInstrumentedKafkaConsumer<string, byte[]>("kafka");
        builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
        builder.AddMessageProcessing();
        configure?.Invoke(builder);
        var host = builder.Build();
        host.Start();
        return host;
    }
}

/// <summary>
/// A host stopped before it is disposed. Disposing a running one destroys the consumer while its
/// worker is still inside <c>Consume</c>, and librdkafka's rebalance callback then throws on a
/// native thread, which ends the test process.
/// </summary>
internal sealed class StoppedOnDispose(IHost host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
