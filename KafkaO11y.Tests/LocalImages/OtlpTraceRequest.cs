using System.Buffers.Binary;
using System.Text;

namespace KafkaO11y.Tests.LocalImages;

/// <summary>
/// One span as an OTLP/gRPC request body: an <c>ExportTraceServiceRequest</c> (opentelemetry-proto,
/// trace/v1) in protobuf, in gRPC's length-prefixed frame, so a container with only curl can send it.
/// </summary>
public static class OtlpTraceRequest
{
    public const string ExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    public static byte[] Frame(string serviceName, string spanName, byte[] traceId, byte[] spanId, DateTimeOffset start)
    {
        var startNanos = (ulong)(start.ToUnixTimeMilliseconds() * 1_000_000);
        var value = Message(w => w.String(1, serviceName));                                  // AnyValue.string_value
        var attribute = Message(w => w.String(1, "service.name").Bytes(2, value));           // KeyValue
        var resource = Message(w => w.Bytes(1, attribute));                                  // Resource.attributes
        var span = Message(w => w.Bytes(1, traceId).Bytes(2, spanId).String(5, spanName)
            .Varint(6, 1)                                                                    // SPAN_KIND_INTERNAL
            .Fixed64(7, startNanos).Fixed64(8, startNanos + 1_000_000));
        var scopeSpans = Message(w => w.Bytes(1, Message(s => s.String(1, "kafkao11y.tests"))).Bytes(2, span));
        var resourceSpans = Message(w => w.Bytes(1, resource).Bytes(2, scopeSpans));
        var request = Message(w => w.Bytes(1, resourceSpans));

        // gRPC frame: not compressed, then the message's length as 4 bytes big-endian.
        var frame = new byte[5 + request.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)request.Length);
        request.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] Message(Action<ProtobufWriter> write)
    {
        var writer = new ProtobufWriter();
        write(writer);
        return writer.ToArray();
    }

    /// <summary>The three wire types these messages use: varint, 64-bit, length-delimited.</summary>
    private sealed class ProtobufWriter
    {
        private readonly MemoryStream _stream = new();

        public ProtobufWriter Varint(int field, ulong value) => Tag(field, 0).Raw(value);

        public ProtobufWriter Fixed64(int field, ulong value)
        {
            Tag(field, 1);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            _stream.Write(bytes);
            return this;
        }

        public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtobufWriter Bytes(int field, byte[] value)
        {
            Tag(field, 2).Raw((ulong)value.Length);
            _stream.Write(value);
            return this;
        }

        public byte[] ToArray() => _stream.ToArray();

        private ProtobufWriter Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private ProtobufWriter Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.WriteByte((byte)value);
            return this;
        }
    }
}
