using System.Buffers;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// Carries the trace context in Kafka message headers as W3C Trace Context (<c>traceparent</c>,
/// <c>tracestate</c>) and W3C Baggage (<c>baggage</c>), whatever propagator is configured for HTTP:
/// the format the messaging conventions and other Kafka instrumentations use.
/// </summary>
/// <remarks>
/// Written for every message, so written straight as bytes (a header value is a byte array): no
/// intermediate string, no header for empty trace state or baggage, and no search-and-remove
/// unless the message already has headers. Baggage is rare and goes through OpenTelemetry's
/// <see cref="BaggagePropagator"/>.
/// </remarks>
public static class KafkaHeaderPropagation
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";
    public const string BaggageHeader = "baggage";

    // "00-" + 32 hex trace id + "-" + 16 hex span id + "-" + 2 hex flags
    private const int TraceParentLength = 55;
    private static readonly SearchValues<byte> LowerHex = SearchValues.Create("0123456789abcdef"u8);
    private static readonly BaggagePropagator Baggage = new();

    /// <summary>Writes <paramref name="context"/> and the current baggage into <paramref name="headers"/>, replacing any there.</summary>
    public static void Inject(ActivityContext context, Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (context == default)
        {
            return;
        }

        Set(headers, TraceParentHeader, FormatTraceParent(context));
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            Set(headers, TraceStateHeader, Encoding.UTF8.GetBytes(context.TraceState));
        }

        var baggage = OpenTelemetry.Baggage.Current;
        if (baggage.Count > 0)
        {
            Baggage.Inject(new PropagationContext(default, baggage), headers,
                static (carrier, key, value) => Set(carrier, key, Encoding.UTF8.GetBytes(value)));
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
        byte[]? traceState = null;
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
                    traceState = header.GetValueBytes();
                    break;
                case BaggageHeader:
                    hasBaggage = true;
                    break;
            }
        }

        var context = traceParent is not null && TryParseTraceParent(traceParent, out var parsed)
            ? WithTraceState(parsed, traceState)
            : default;
        var baggage = hasBaggage
            ? Baggage.Extract(default, headers, static (carrier, key) =>
                carrier.TryGetLastBytes(key, out var value) && value is not null ? [Encoding.UTF8.GetString(value)] : []).Baggage
            : default;
        return new PropagationContext(context, baggage);
    }

    /// <summary>W3C <c>traceparent</c>: <c>00-{trace id}-{span id}-{flags}</c>, 55 ASCII bytes.</summary>
    internal static byte[] FormatTraceParent(in ActivityContext context)
    {
        var bytes = new byte[TraceParentLength];
        "00-"u8.CopyTo(bytes);
        // The ids keep their hex form: copying it is cheaper than formatting the id anew.
        Encoding.ASCII.GetBytes(context.TraceId.ToHexString(), bytes.AsSpan(3, 32));
        bytes[35] = (byte)'-';
        Encoding.ASCII.GetBytes(context.SpanId.ToHexString(), bytes.AsSpan(36, 16));
        bytes[52] = (byte)'-';
        bytes[53] = (byte)'0';
        bytes[54] = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? (byte)'1' : (byte)'0';
        return bytes;
    }

    /// <summary>Parses a W3C <c>traceparent</c> as the specification asks: lower-case hex, no all-zero id, version ff invalid.</summary>
    internal static bool TryParseTraceParent(ReadOnlySpan<byte> value, out ActivityContext context)
    {
        context = default;
        // Version 00 is exactly 55 bytes; a later version may append fields after a '-'.
        if (value.Length < TraceParentLength || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
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
            return false;
        }

        context = new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(traceId),
            ActivitySpanId.CreateFromUtf8String(spanId),
            (ActivityTraceFlags)(HexDigit(flags[0]) << 4 | HexDigit(flags[1])),
            traceState: null,
            isRemote: true);
        return true;
    }

    private static ActivityContext WithTraceState(ActivityContext context, byte[]? traceState) =>
        traceState is { Length: > 0 }
            ? new ActivityContext(context.TraceId, context.SpanId, context.TraceFlags, Encoding.UTF8.GetString(traceState), isRemote: true)
            : context;

    private static int HexDigit(byte digit) => digit <= '9' ? digit - '0' : digit - 'a' + 10;

    /// <summary>Adds the header; a message sent again (a retry) must carry one context, not two.</summary>
    private static void Set(Headers headers, string key, byte[] value)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (headers[i].Key == key)
            {
                headers.Remove(key);
                break;
            }
        }

        headers.Add(key, value);
    }
}
