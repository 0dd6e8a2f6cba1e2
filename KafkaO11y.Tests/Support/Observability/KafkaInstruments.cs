using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using KafkaO11y.Kafka;

namespace KafkaO11y.Tests.Support;

/// <summary>The instruments the Kafka integration registers (meter <c>KafkaO11y.Kafka</c>), as the code defines them.</summary>
public static class KafkaInstruments
{
    public static IReadOnlyList<Instrument> All()
    {
        // Touching the type creates its static instruments; the statistics metrics are made as a host makes them.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaTelemetry).TypeHandle);
        using var services = new ServiceCollection().AddMetrics().AddSingleton<KafkaStatisticsMetrics>().BuildServiceProvider();

        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == KafkaTelemetry.MeterName)
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
