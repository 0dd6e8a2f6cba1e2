using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using KafkaO11y.Kafka;

namespace KafkaO11y.MicroBenchmarks;

/// <summary>
/// What <c>InstrumentedProducer.Produce</c> adds to one message, without the client: making the
/// message (the baseline), the header alone, and the whole send instrumentation (span start, tags,
/// header, span end with partition and offset, the two send metrics).
/// </summary>
public class ProducerInstrumentationBenchmarks : InstrumentationBenchmark
{
    private readonly byte[] _value = new byte[100];

    [Benchmark(Description = "message only")]
    public Message<string, byte[]> MessageOnly() => new() { Key = Key, Value = _value };

    [Benchmark(Description = "traceparent header")]
    public Message<string, byte[]> HeaderOnly()
    {
        var message = new Message<string, byte[]> { Key = Key, Value = _value, Headers = [] };
        KafkaHeaderPropagation.Inject(RemoteContext, message.Headers);
        return message;
    }

    [Benchmark(Description = "send instrumentation")]
    public Message<string, byte[]> Send()
    {
        var message = new Message<string, byte[]> { Key = Key, Value = _value };
        // As InstrumentedProducer.Produce: the span ends later, on the delivery report.
        CheckCaller();
        var callersActivity = Activity.Current;
        var send = KafkaProducerInstrumentation.StartSend(Producer, Topic, message);
        Activity.Current = callersActivity;
        send.Succeeded(Acknowledged, Cluster);
        return message;
    }
}
