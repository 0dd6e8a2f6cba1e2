using System.Diagnostics;
using System.Text;

namespace KafkaO11y.Benchmarks;

/// <summary>The W3C <c>traceparent</c> header, written by hand: the least a propagating producer must do.</summary>
internal static class Traceparent
{
    public const string HeaderName = "traceparent";

    /// <summary>One context for every message of the propagation-only variant (and of the consumer's messages).</summary>
    public static readonly ActivityContext FixedContext =
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    /// <summary><c>00-{trace id}-{span id}-{flags}</c>, 55 ASCII bytes.</summary>
    public static byte[] Format(in ActivityContext context)
    {
        var bytes = new byte[55];
        "00-"u8.CopyTo(bytes);
        Encoding.ASCII.GetBytes(context.TraceId.ToHexString(), bytes.AsSpan(3, 32));
        bytes[35] = (byte)'-';
        Encoding.ASCII.GetBytes(context.SpanId.ToHexString(), bytes.AsSpan(36, 16));
        bytes[52] = (byte)'-';
        bytes[53] = (byte)'0';
        bytes[54] = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? (byte)'1' : (byte)'0';
        return bytes;
    }
}
