using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// Carries W3C trace context (<c>traceparent</c>, <c>tracestate</c>) and baggage in Kafka message
/// headers, through the propagator OpenTelemetry is configured with.
/// </summary>
public static class KafkaHeaderPropagation
{
    private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;

    public static void Inject(ActivityContext context, Headers headers)
    {
        if (context == default)
        {
            return;
        }

        Propagator.Inject(new PropagationContext(context, Baggage.Current), headers, static (carrier, key, value) =>
        {
            // A retried message must carry one context, not two.
            carrier.Remove(key);
            carrier.Add(key, Encoding.UTF8.GetBytes(value));
        });
    }

    public static PropagationContext Extract(Headers? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return default;
        }

        return Propagator.Extract(default, headers, static (carrier, key) =>
            carrier.TryGetLastBytes(key, out var value) && value is not null
                ? [Encoding.UTF8.GetString(value)]
                : []);
    }
}
