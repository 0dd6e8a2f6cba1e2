using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace KafkaO11y.Kafka;

/// <summary>
/// Carries the trace context in Kafka message headers as W3C Trace Context (<c>traceparent</c>,
/// <c>tracestate</c>) and W3C Baggage (<c>baggage</c>), whatever propagator is configured for HTTP:
/// the format the messaging conventions and other Kafka instrumentations use.
/// </summary>
/// <remarks>
/// Written for every message, so the common case is written straight as bytes (a header value is a
/// byte array): one <c>traceparent</c>, no intermediate string, no header for empty trace state or
/// baggage, and no removal unless the message already has such a header. The rare parts go
/// through OpenTelemetry's own propagators, which validate and limit them: a non-empty trace state
/// (<see cref="TraceContextPropagator"/>) and baggage (<see cref="BaggagePropagator"/>).
/// </remarks>
public static class KafkaHeaderPropagation
{
    /// <summary>The W3C trace context's header: version, trace id, parent span id and flags.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C trace state's header, written only when there is a trace state.</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>The W3C baggage header, written only when there is baggage.</summary>
    public const string BaggageHeader = "baggage";

    // "00-" + 32 hex trace id + "-" + 16 hex span id + "-" + 2 hex flags
    private const int TraceParentLength = 55;

    // The flags W3C defines (sampled, random); the others are reserved and must not be passed on.
    private const int KnownFlags = 0x03;

    private static readonly SearchValues<byte> LowerHex = SearchValues.Create("0123456789abcdef"u8);
    private static readonly TraceContextPropagator TraceContext = new();
    private static readonly BaggagePropagator Baggage = new();

    private static readonly Action<Headers, string, string> SetHeader =
        static (headers, key, value) => headers.Add(key, Encoding.UTF8.GetBytes(value));

    private static readonly Func<Headers, string, IEnumerable<string>> GetHeader =
        static (headers, key) => headers.TryGetLastBytes(key, out var value) && value is not null ? [Encoding.UTF8.GetString(value)] : [];

    /// <summary>
    /// Writes <paramref name="context"/> and the current baggage into <paramref name="headers"/>,
    /// replacing the context and baggage headers already there (a message sent again carries one
    /// context: the new one).
    /// </summary>
    public static void Inject(ActivityContext context, Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (context.TraceId == default || context.SpanId == default)
        {
            return;
        }

        RemoveIfPresent(headers, TraceParentHeader);
        RemoveIfPresent(headers, TraceStateHeader);
        RemoveIfPresent(headers, BaggageHeader);

        if (string.IsNullOrEmpty(context.TraceState))
        {
            headers.Add(TraceParentHeader, FormatTraceParent(context));
        }
        else
        {
            TraceContext.Inject(new PropagationContext(context, default), headers, SetHeader);
        }

        var baggage = OpenTelemetry.Baggage.Current;
        if (baggage.Count > 0)
        {
            Baggage.Inject(new PropagationContext(default, baggage), headers, SetHeader);
        }
    }

    /// <summary>The trace context and baggage in <paramref name="headers"/>; default when there is none or it is malformed.</summary>
    public static PropagationContext Extract(Headers? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return default;
        }

        // One pass, by index (the enumerator would allocate); the last header of a name wins.
        byte[]? traceParent = null;
        var hasTraceState = false;
        var hasBaggage = false;
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            switch (header.Key)
            {
                case TraceParentHeader:
                    traceParent = header.GetValueBytes();
                    break;
                case TraceStateHeader:
                    hasTraceState = true;
                    break;
                case BaggageHeader:
                    hasBaggage = true;
                    break;
            }
        }

        ActivityContext context;
        if (hasTraceState)
        {
            context = TraceContext.Extract(default, headers, GetHeader).ActivityContext;
        }
        else
        {
            // No traceparent header is an empty span: default, as a malformed one.
            context = ParseTraceParent(traceParent);
        }

        var baggage = hasBaggage ? Baggage.Extract(default, headers, GetHeader).Baggage : default;
        return new PropagationContext(context, baggage);
    }

    /// <summary>W3C <c>traceparent</c>: <c>00-{trace id}-{span id}-{flags}</c>, 55 ASCII bytes.</summary>
    private static byte[] FormatTraceParent(in ActivityContext context)
    {
        var bytes = new byte[TraceParentLength];
        "00-"u8.CopyTo(bytes);
        // The ids keep their hex form: copying it is cheaper than formatting the id anew.
        Encoding.ASCII.GetBytes(context.TraceId.ToHexString(), bytes.AsSpan(3, 32));
        bytes[35] = (byte)'-';
        Encoding.ASCII.GetBytes(context.SpanId.ToHexString(), bytes.AsSpan(36, 16));
        bytes[52] = (byte)'-';
        bytes[53] = (byte)'0';
        bytes[54] = (byte)('0' + ((int)context.TraceFlags & KnownFlags));
        return bytes;
    }

    /// <summary>
    /// Parses a W3C <c>traceparent</c> as the specification asks (lower-case hex, no all-zero id,
    /// version ff invalid); default when it is malformed.
    /// </summary>
    private static ActivityContext ParseTraceParent(ReadOnlySpan<byte> value)
    {
        // Version 00 is exactly 55 bytes; a later version may append fields after a '-'.
        if (value.Length < TraceParentLength || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return default;
        }

        var version = value[..2];
        var traceId = value.Slice(3, 32);
        var spanId = value.Slice(36, 16);
        var flags = value.Slice(53, 2);
        if (version.ContainsAnyExcept(LowerHex) || traceId.ContainsAnyExcept(LowerHex) ||
            spanId.ContainsAnyExcept(LowerHex) || flags.ContainsAnyExcept(LowerHex) ||
            version.SequenceEqual("ff"u8) ||
            (version.SequenceEqual("00"u8) ? value.Length != TraceParentLength : value.Length > TraceParentLength && value[TraceParentLength] != '-') ||
            !traceId.ContainsAnyExcept((byte)'0') || !spanId.ContainsAnyExcept((byte)'0'))
        {
            return default;
        }

        return new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(traceId),
            ActivitySpanId.CreateFromUtf8String(spanId),
            (ActivityTraceFlags)(byte.Parse(flags, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) & KnownFlags),
            traceState: null,
            isRemote: true);
    }

    // Confluent's Headers.Remove allocates a closure: look first, remove only when there is something to remove.
    private static void RemoveIfPresent(Headers headers, string key)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (headers[i].Key == key)
            {
                headers.Remove(key);
                return;
            }
        }
    }
}
