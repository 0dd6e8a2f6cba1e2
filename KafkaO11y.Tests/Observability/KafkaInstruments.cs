using System.Diagnostics.Metrics;
using KafkaO11y.ServiceDefaults.Kafka;

namespace KafkaO11y.Tests.Observability;

/// <summary>The instruments the Kafka integration registers (meter <c>KafkaO11y.Kafka</c>), as the code defines them.</summary>
public static class KafkaInstruments
{
    public static IReadOnlyList<Instrument> All()
    {
        // Touching the types creates their static instruments (observable ones included).
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaTelemetry).TypeHandle);
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(KafkaStatisticsMetrics).TypeHandle);

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
        lock (instruments)
        {
            return [.. instruments.DistinctBy(i => i.Name)];
        }
    }
}
