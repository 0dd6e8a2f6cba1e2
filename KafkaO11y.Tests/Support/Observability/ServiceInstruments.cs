using System.Diagnostics.Metrics;
using KafkaO11y.Consumer;
using KafkaO11y.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The instruments the services register beyond the runtime's and ASP.NET Core's: the Kafka
/// integration's (meter <c>KafkaO11y.Kafka</c>) and the Consumer's own (<c>KafkaO11y.Consumer</c>), as the code defines them.
/// </summary>
public static class ServiceInstruments
{
    public static IReadOnlyList<Instrument> All()
    {
        // Touching the type creates its static instruments; the statistics metrics are made as a host makes them.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaTelemetry).TypeHandle);
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(ConsumerTelemetry).TypeHandle);
        using var services = new ServiceCollection().AddMetrics().AddSingleton<KafkaStatisticsMetrics>().BuildServiceProvider();

        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is KafkaTelemetry.MeterName or ConsumerTelemetry.MeterName)
                {
                    lock (instruments)
                    {
                        instruments.Add(instrument);
                    }
                }
            },
        };
        listener.Start();
        services.GetRequiredService<KafkaStatisticsMetrics>();
        lock (instruments)
        {
            return [.. instruments.DistinctBy(i => i.Name)];
        }
    }
}
