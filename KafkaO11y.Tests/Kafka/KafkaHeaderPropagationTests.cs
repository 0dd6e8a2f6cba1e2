using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using KafkaO11y.Kafka;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace KafkaO11y.Tests.Kafka;

/// <summary>
/// The trace context in Kafka headers, written and read as bytes: it must agree with OpenTelemetry's
/// own W3C propagators both ways, and refuse what the W3C specification calls invalid.
/// </summary>
public sealed class KafkaHeaderPropagationTests
{
    private static readonly ActivityContext Sampled =
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    private static readonly TextMapPropagator OpenTelemetryW3C =
        new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]);

    [Theory]
    [InlineData(ActivityTraceFlags.Recorded, null)]
    [InlineData(ActivityTraceFlags.None, null)]
    [InlineData((ActivityTraceFlags)3, null)]
    [InlineData(ActivityTraceFlags.Recorded, "vendor=value")]
    public void Injected_headers_are_what_OpenTelemetry_writes_and_nothing_more(ActivityTraceFlags flags, string? traceState)
    {
        var context = new ActivityContext(Sampled.TraceId, Sampled.SpanId, flags, traceState);
        var ours = new Headers();
        KafkaHeaderPropagation.Inject(context, ours);

        var theirs = new Dictionary<string, string>();
        OpenTelemetryW3C.Inject(new PropagationContext(context, default), theirs, static (carrier, key, value) => carrier[key] = value);

        Assert.Equal(theirs.OrderBy(h => h.Key), ours.Select(h => KeyValuePair.Create(h.Key, Encoding.UTF8.GetString(h.GetValueBytes()))).OrderBy(h => h.Key));
        Assert.DoesNotContain(ours, h => h.Key == "baggage");
    }

    [Fact]
    public void Without_trace_state_or_baggage_a_message_gets_one_traceparent_header()
    {
        var headers = new Headers();
        KafkaHeaderPropagation.Inject(Sampled, headers);

        var header = Assert.Single(headers);
        Assert.Equal("traceparent", header.Key);
        Assert.Equal($"00-{Sampled.TraceId}-{Sampled.SpanId}-01", Encoding.ASCII.GetString(header.GetValueBytes()));
    }

    [Fact]
    public void A_message_sent_again_carries_the_new_context_only()
    {
        var headers = new Headers { { "app", "kept"u8.ToArray() } };
        var first = new ActivityContext(Sampled.TraceId, Sampled.SpanId, ActivityTraceFlags.Recorded, "old=1");
        WithBaggage(new Dictionary<string, string> { ["tenant"] = "blue" }, () => KafkaHeaderPropagation.Inject(first, headers));
        Assert.Equal(["app", "baggage", "traceparent", "tracestate"], headers.Select(h => h.Key).Order());

        var retry = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        KafkaHeaderPropagation.Inject(retry, headers);

        Assert.Equal(["app", "traceparent"], headers.Select(h => h.Key).Order());
        var extracted = KafkaHeaderPropagation.Extract(headers);
        Assert.Equal(retry.TraceId, extracted.ActivityContext.TraceId);
        Assert.Null(extracted.ActivityContext.TraceState);
        Assert.Equal(0, extracted.Baggage.Count);
    }

    [Fact]
    public void A_message_sent_again_without_other_headers_still_carries_one_context()
    {
        var headers = new Headers();
        KafkaHeaderPropagation.Inject(Sampled, headers);
        var retry = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        KafkaHeaderPropagation.Inject(retry, headers);

        var header = Assert.Single(headers);
        Assert.Equal($"00-{retry.TraceId}-{retry.SpanId}-01", Encoding.ASCII.GetString(header.GetValueBytes()));
    }

    /// <summary>Without a whole context (no span, as outside any trace) nothing is written, and headers already there stay.</summary>
    [Fact]
    public void Without_a_whole_context_nothing_is_written()
    {
        var headers = new Headers { { "app", "kept"u8.ToArray() } };

        KafkaHeaderPropagation.Inject(default, headers);
        KafkaHeaderPropagation.Inject(new ActivityContext(Sampled.TraceId, default, ActivityTraceFlags.Recorded), headers);
        KafkaHeaderPropagation.Inject(new ActivityContext(default, Sampled.SpanId, ActivityTraceFlags.Recorded), headers);

        Assert.Equal(["app"], headers.Select(h => h.Key));
        Assert.Throws<ArgumentNullException>(() => KafkaHeaderPropagation.Inject(Sampled, null!));
    }

    /// <summary>A trace state or baggage header without a value (Kafka allows it) is no trace state or baggage; the context is still read.</summary>
    [Fact]
    public void Trace_state_or_baggage_headers_without_a_value_are_ignored()
    {
        var headers = new Headers
        {
            { "traceparent", Encoding.ASCII.GetBytes($"00-{Sampled.TraceId}-{Sampled.SpanId}-01") },
            { "tracestate", null },
            { "baggage", null },
        };

        var extracted = KafkaHeaderPropagation.Extract(headers);

        Assert.Equal((Sampled.TraceId, Sampled.SpanId), (extracted.ActivityContext.TraceId, extracted.ActivityContext.SpanId));
        Assert.Null(extracted.ActivityContext.TraceState);
        Assert.Equal(0, extracted.Baggage.Count);
    }

    [Theory]
    [InlineData("vendor=value,other=1")]
    [InlineData("Invalid Key=1")]
    [InlineData("a=1, b=2")]
    [InlineData("a=1,a=2")]
    [InlineData("oversized")]
    public void Trace_state_is_read_as_OpenTelemetry_reads_it(string traceState)
    {
        // A trace state goes into every child span and the next message: its limits must hold.
        if (traceState == "oversized")
        {
            traceState = string.Join(',', Enumerable.Range(0, 40).Select(i => $"key{i}=" + new string('v', 200)));
        }

        var traceparent = $"00-{Sampled.TraceId}-{Sampled.SpanId}-01";
        var headers = new Headers
        {
            { "traceparent", Encoding.ASCII.GetBytes(traceparent) },
            { "tracestate", Encoding.UTF8.GetBytes(traceState) },
        };
        var carrier = new Dictionary<string, string> { ["traceparent"] = traceparent, ["tracestate"] = traceState };
        var theirs = new TraceContextPropagator().Extract(default, carrier, static (c, key) => c.TryGetValue(key, out var v) ? [v] : []);

        var ours = KafkaHeaderPropagation.Extract(headers);

        Assert.Equal(Sampled.TraceId, ours.ActivityContext.TraceId);
        Assert.Equal(theirs.ActivityContext.TraceState, ours.ActivityContext.TraceState);
    }

    [Fact]
    public void Context_trace_state_and_baggage_survive_the_round_trip()
    {
        var context = new ActivityContext(Sampled.TraceId, Sampled.SpanId, ActivityTraceFlags.None, "a=1,b=2");
        var headers = new Headers();
        WithBaggage(new Dictionary<string, string> { ["tenant"] = "blue", ["region"] = "eu west" }, () => KafkaHeaderPropagation.Inject(context, headers));

        var extracted = KafkaHeaderPropagation.Extract(headers);

        Assert.Equal(context.TraceId, extracted.ActivityContext.TraceId);
        Assert.Equal(context.SpanId, extracted.ActivityContext.SpanId);
        Assert.Equal(ActivityTraceFlags.None, extracted.ActivityContext.TraceFlags);
        Assert.Equal("a=1,b=2", extracted.ActivityContext.TraceState);
        Assert.True(extracted.ActivityContext.IsRemote);
        Assert.Equal("blue", extracted.Baggage.GetBaggage("tenant"));
        Assert.Equal("eu west", extracted.Baggage.GetBaggage("region"));
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-02")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-05")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0a")]
    [InlineData("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-a-future-version-adds")]
    [InlineData("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    public void Reads_what_OpenTelemetry_reads(string traceparent) => AssertAgreesWithOpenTelemetry(traceparent, valid: true);

    [Theory]
    [InlineData("")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")]
    [InlineData("00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x")]
    [InlineData("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.")]
    public void Ignores_a_malformed_traceparent(string traceparent) => AssertAgreesWithOpenTelemetry(traceparent, valid: false);

    [Fact]
    public void Messages_without_headers_have_no_context()
    {
        Assert.Equal(default, KafkaHeaderPropagation.Extract(null));
        Assert.Equal(default, KafkaHeaderPropagation.Extract([]));
        Assert.Equal(default, KafkaHeaderPropagation.Extract(new Headers { { "app", "value"u8.ToArray() } }));
    }

    [Fact]
    public void Baggage_without_a_trace_context_still_arrives()
    {
        var extracted = KafkaHeaderPropagation.Extract(new Headers { { "baggage", "tenant=blue"u8.ToArray() } });

        Assert.Equal(default, extracted.ActivityContext);
        Assert.Equal("blue", extracted.Baggage.GetBaggage("tenant"));
    }

    private static void WithBaggage(Dictionary<string, string> items, Action action)
    {
        var before = Baggage.Current;
        Baggage.Current = Baggage.Create(items);
        try
        {
            action();
        }
        finally
        {
            Baggage.Current = before;
        }
    }

    private static void AssertAgreesWithOpenTelemetry(string traceparent, bool valid)
    {
        var ours = KafkaHeaderPropagation.Extract(new Headers { { "traceparent", Encoding.ASCII.GetBytes(traceparent) } }).ActivityContext;
        var theirs = new TraceContextPropagator().Extract(default, traceparent, static (value, key) => key == "traceparent" ? [value] : []).ActivityContext;

        Assert.Equal(valid, ours != default);
        Assert.Equal(theirs, ours);
    }
}
