using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using static KafkaO11y.Benchmarks.ServiceMemoryBenchmark;

namespace KafkaO11y.Benchmarks;

internal static class ServiceMemoryReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly (string Name, Func<ServiceMemoryMeasurement, ServiceSample> Of)[] Services =
        [("Producer", m => m.Producer), ("Consumer", m => m.Consumer)];

    private static readonly (string Name, Func<ServiceSample, long> Of)[] Measures =
    [
        ("peak RSS (VmHWM)", s => s.PeakRss),
        ("RSS at the end of the load", s => s.EndOfLoadRss),
        ("RSS before load", s => s.RssBeforeLoad),
    ];

    public static string Render(BenchmarkOptions options, IReadOnlyList<ServiceMemoryMeasurement> results, TimeSpan wallTime)
    {
        var uninstrumented = results.Where(m => m.Variant == ServiceVariant.Uninstrumented).OrderBy(m => m.Round).ToArray();
        var instrumented = results.Where(m => m.Variant == ServiceVariant.Instrumented).OrderBy(m => m.Round).ToArray();

        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(Invariant, $"KafkaO11y services' memory under load, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC: median of {options.MemoryRounds} round(s)");
        text.AppendLine();
        text.AppendLine(Invariant, $"Machine:    {ReportFacts.Machine()}");
        text.AppendLine(Invariant, $"Runtime:    {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}; the services as built ({Configuration()}), run with `dotnet <service>.dll`, ASPNETCORE_ENVIRONMENT=Production, their own GC settings (server GC)");
        text.AppendLine("Kafka:      1 embedded broker (librdkafka mock cluster) in the benchmark's process, new per measurement; topics messages (3 partitions) and messages.dlq");
        text.AppendLine(Invariant, $"Load:       POST /load: the Producer's generator sends {options.MemoryRate:N0} msg/s for {options.MemorySeconds} s ({(long)options.MemoryRate * options.MemorySeconds:N0} messages); the Consumer with Processing__DelayMilliseconds=0 and fetch.wait.max.ms=10; both log every message at Information, as they do by default");
        text.AppendLine(Invariant, $"Variants:   instrumented = OTLP/HTTP (http/protobuf) to a local sink that only counts, with Aspire's settings (always_on sampler, 1 s batch and metric intervals); uninstrumented = the same with OTEL_SDK_DISABLED=true; alternated round by round{(options.Quick ? " (--quick)" : "")}");
        text.AppendLine("Memory:     /proc/<pid>/status every 100 ms: VmRSS; peak = VmHWM (since the process started) once the last message was processed");
        text.AppendLine();

        text.AppendLine("| Service | Measure | Uninstrumented (MiB) | Instrumented (MiB) | Instrumented / uninstrumented | Difference (MiB) |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var (service, serviceOf) in Services)
        {
            foreach (var (measure, measureOf) in Measures)
            {
                var bare = ReportFacts.Median(uninstrumented.Select(m => Mib(measureOf(serviceOf(m)))));
                var full = ReportFacts.Median(instrumented.Select(m => Mib(measureOf(serviceOf(m)))));
                var perRound = instrumented.Join(uninstrumented, m => m.Round, m => m.Round,
                    (i, u) => (double)measureOf(serviceOf(i)) / measureOf(serviceOf(u))).ToArray();
                text.AppendLine(Invariant,
                    $"| {service} | {measure} | {bare:F1} | {full:F1} | {full / bare:F2} ({perRound.Min():F2}-{perRound.Max():F2}) | {full - bare:+0.0;-0.0;0.0} |");
            }
        }

        text.AppendLine();
        text.AppendLine(Invariant, $"Ratios: of the medians; in brackets the lowest and highest ratio of the two measurements of one round. RSS at the end of the load: the median of the samples of its last {EndOfLoad.TotalSeconds:0} s (of its second half when shorter).");
        text.AppendLine();

        text.AppendLine("| Round | Variant | Producer peak / end of load (MiB) | Consumer peak / end of load (MiB) | Messages sent = processed | Generator held (msg/s) | Consumer held (msg/s) | Other processes' CPU |");
        text.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in results.OrderBy(m => m.Round).ThenBy(m => m.Variant))
        {
            text.AppendLine(Invariant,
                $"| {m.Round} | {Name(m.Variant)} | {Mib(m.Producer.PeakRss):F1} / {Mib(m.Producer.EndOfLoadRss):F1} | {Mib(m.Consumer.PeakRss):F1} / {Mib(m.Consumer.EndOfLoadRss):F1} | {m.Messages:N0} | {m.GeneratorRate:N0} | {m.ConsumerRate:N0} | {(m.OtherCpu is { } other ? other.ToString("P0", Invariant) : "-")} |");
        }

        text.AppendLine();
        text.AppendLine("Held: the slope of the Producer's published count (GET /generator) and the Consumer's processed count (GET /stats), polled every 250 ms,");
        text.AppendLine("between the first and the last poll that found the load under way. Other processes' CPU: share of both cores used during the load by");
        text.AppendLine("processes other than the benchmark and the two services (/proc/stat).");
        text.AppendLine();

        var messages = instrumented.Sum(m => m.Messages);
        text.AppendLine("| Service | OTLP requests (all instrumented rounds) | Requests per 1,000 messages | Traces (B/msg) | Metrics (B/msg) | Logs (B/msg) | All signals (B/msg) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var service in new[] { "producer", "consumer" })
        {
            long Bytes(string signal) => instrumented.Sum(m => m.Otlp.TryGetValue((service, signal), out var c) ? c.Bytes : 0);
            var requests = instrumented.Sum(m => m.Otlp.Where(e => e.Key.Service == service).Sum(e => e.Value.Requests));
            var total = OtlpSink.Signals.Sum(Bytes);
            text.AppendLine(Invariant,
                $"| {char.ToUpperInvariant(service[0])}{service[1..]} | {requests:N0} | {1_000.0 * requests / messages:F1} | {(double)Bytes("traces") / messages:F0} | {(double)Bytes("metrics") / messages:F0} | {(double)Bytes("logs") / messages:F0} | {(double)total / messages:F0} |");
        }

        text.AppendLine();
        text.AppendLine(Invariant,
            $"OTLP bytes per message: request bodies (uncompressed protobuf) the sink received, from start to shutdown, over the {messages:N0} messages of the instrumented rounds. Uninstrumented rounds: the sink received {uninstrumented.Sum(m => m.Otlp.Values.Sum(c => c.Requests)):N0} requests (the run fails otherwise).");
        text.AppendLine("Uninstrumented = OTEL_SDK_DISABLED=true: the TracerProvider, MeterProvider and LoggerProvider are OpenTelemetry's no-ops, so no ActivitySource and no");
        text.AppendLine("Meter has a listener: no span is started, no measurement recorded, no log record exported, no exporter built. Still running: the instrumentation");
        text.AppendLine("code's own calls (InstrumentedProducer, ProcessAsync, header injection/extraction), librdkafka statistics every 5 s and their handler, ASP.NET Core's");
        text.AppendLine("per-request Activity (the benchmark's polls only), the console logging of every message.");
        text.AppendLine(Invariant, $"Wall time: {wallTime.TotalSeconds:F0} s.");
        return text.ToString();
    }

    private static string Configuration() =>
        typeof(ServiceMemoryReport).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), inherit: false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "unknown configuration";

}
