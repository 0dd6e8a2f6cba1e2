using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Contracts;

namespace KafkaO11y.Benchmarks;

/// <summary>How the services' OpenTelemetry runs in a memory measurement.</summary>
internal enum ServiceVariant
{
    /// <summary><c>OTEL_SDK_DISABLED=true</c>: the SDK's providers are no-ops.</summary>
    Uninstrumented,

    /// <summary>As under Aspire: every span sampled, OTLP/HTTP exporters for all three signals, to the local sink.</summary>
    Instrumented,
}

/// <summary>
/// Peak memory of the real Producer and Consumer services under load: both run as child processes
/// (`dotnet KafkaO11y.Producer.dll`, `dotnet KafkaO11y.Consumer.dll`, Release when this program is)
/// against an embedded broker in this process, the Producer's generator sends a burst at a fixed
/// rate, and /proc tells their resident memory. Instrumented and uninstrumented alternate round by
/// round; every measurement starts a new broker and new processes.
/// </summary>
internal static class ServiceMemoryBenchmark
{
    private const string Topic = MessageTopics.Messages;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstMessageTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    /// <summary>"RSS at the end of the load": the median of the samples of this last stretch of it.</summary>
    public static readonly TimeSpan EndOfLoad = TimeSpan.FromSeconds(5);

    /// <returns>The report (Markdown).</returns>
    public static async Task<string> RunAsync(BenchmarkOptions options)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BenchmarkFailedException("The memory part reads /proc/<pid>/status: it runs on Linux only.");
        }

        var wallClock = Stopwatch.StartNew();
        var producerAssembly = ServiceAssembly("KafkaO11y.Producer");
        var consumerAssembly = ServiceAssembly("KafkaO11y.Consumer");
        await using var sink = await OtlpSink.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        Console.Error.WriteLine($"Memory. {options.MemoryRounds} round(s) of {options.MemoryRate:N0} msg/s for {options.MemorySeconds} s per variant; services {producerAssembly} and {consumerAssembly}; OTLP sink at {sink.Address}.");
        var results = new List<ServiceMemoryMeasurement>();
        for (var round = 1; round <= options.MemoryRounds; round++)
        {
            // Two variants: each round starts with the one the previous round ended with.
            ServiceVariant[] order = round % 2 == 1
                ? [ServiceVariant.Uninstrumented, ServiceVariant.Instrumented]
                : [ServiceVariant.Instrumented, ServiceVariant.Uninstrumented];
            foreach (var variant in order)
            {
                var measurementWallClock = Stopwatch.StartNew();
                var measurement = await MeasureAsync(variant, round, options, producerAssembly, consumerAssembly, sink, http);
                Console.Error.WriteLine(
                    $"  round {round}/{options.MemoryRounds}  {Name(variant),-14}  Producer peak {Mib(measurement.Producer.PeakRss),6:F1} MiB, end {Mib(measurement.Producer.EndOfLoadRss),6:F1} MiB;  Consumer peak {Mib(measurement.Consumer.PeakRss),6:F1} MiB, end {Mib(measurement.Consumer.EndOfLoadRss),6:F1} MiB;  {measurement.Messages:N0} messages at {measurement.GeneratorRate:N0} msg/s; OTLP {measurement.Otlp.Values.Sum(c => c.Requests):N0} requests; other processes {measurement.OtherCpu:P0} CPU  ({measurementWallClock.Elapsed.TotalSeconds:F1} s with set-up)");
                results.Add(measurement);
            }
        }

        return ServiceMemoryReport.Render(options, results, wallClock.Elapsed);
    }

    public static string Name(ServiceVariant variant) => variant switch
    {
        ServiceVariant.Uninstrumented => "uninstrumented",
        ServiceVariant.Instrumented => "instrumented",
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    public static double Mib(long bytes) => bytes / (1024.0 * 1024.0);

    private static async Task<ServiceMemoryMeasurement> MeasureAsync(ServiceVariant variant, int round, BenchmarkOptions options,
        string producerAssembly, string consumerAssembly, OtlpSink sink, HttpClient http)
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic(Topic, Partitions: 3), new KafkaTopic(MessageTopics.DeadLetterOf(Topic), MessageTopics.DeadLetterPartitions)]);
        sink.Reset();

        await using var producer = ServiceProcess.Start("Producer", producerAssembly, ServiceEnvironment(variant, "producer", kafka, sink, new()
        {
            // Only the burst below sends: not the steady 5 msg/s of the generator's default.
            ["Generator__Paused"] = "true",
        }));
        await using var consumer = ServiceProcess.Start("Consumer", consumerAssembly, ServiceEnvironment(variant, "consumer", kafka, sink, new()
        {
            // 20 ms of simulated work per message (ProcessingOptions' default) would cap one consumer at 50 msg/s.
            ["Processing__DelayMilliseconds"] = "0",
        }));

        await WaitHealthyAsync(producer, http);
        await WaitHealthyAsync(consumer, http);

        // One message end to end before the load: the Consumer joined its group (the embedded broker
        // holds a new group's first join for about 3 s) and was given the topic's partitions.
        using (var first = await http.PostAsJsonAsync(new Uri(producer.BaseAddress, "/messages"), new { payload = "memory benchmark: first message" }))
        {
            if (first.StatusCode != HttpStatusCode.Accepted)
            {
                throw new BenchmarkFailedException($"POST /messages answered {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
            }
        }

        await PollAsync(consumer, http, "/stats", stats => stats.GetProperty("processed").GetInt64() >= 1, FirstMessageTimeout,
            "the Consumer did not process the first message");
        var producerBefore = producer.Memory() ?? throw Exited(producer);
        var consumerBefore = consumer.Memory() ?? throw Exited(consumer);

        var count = (long)options.MemoryRate * options.MemorySeconds;
        using var sampling = new CancellationTokenSource();
        var producerSamples = new List<(TimeSpan At, long Rss)>();
        var consumerSamples = new List<(TimeSpan At, long Rss)>();
        var loadBefore = OtherLoad.Take(producer.Id, consumer.Id);
        var load = Stopwatch.StartNew();
        var sampler = SampleAsync([(producer, producerSamples), (consumer, consumerSamples)], load, sampling.Token);
        var progress = new List<LoadProgress>();
        TimeSpan? published = null;
        try
        {
            using (var burst = await http.PostAsJsonAsync(new Uri(producer.BaseAddress, "/load"), new { messagesPerSecond = options.MemoryRate, count }))
            {
                if (!burst.IsSuccessStatusCode)
                {
                    throw new BenchmarkFailedException($"POST /load answered {(int)burst.StatusCode}: {await burst.Content.ReadAsStringAsync()}");
                }
            }

            // Every 250 ms, how far the generator (GET /generator) and the Consumer (GET /stats) are:
            // until the generator published all `count` messages and the Consumer processed them.
            var publishTimeout = TimeSpan.FromSeconds(options.MemorySeconds * 2 + 30);
            while (true)
            {
                var generator = await GetJsonAsync(producer, http, "/generator");
                var stats = await GetJsonAsync(consumer, http, "/stats");
                var point = new LoadProgress(load.Elapsed,
                    generator.GetProperty("published").GetInt64(), generator.GetProperty("failed").GetInt64(),
                    // The first message was processed before the load.
                    stats.GetProperty("processed").GetInt64() - 1, stats.GetProperty("failed").GetInt64());
                progress.Add(point);
                if (point.PublishFailed > 0 || point.DeadLettered > 0)
                {
                    throw new BenchmarkFailedException(
                        $"{Name(variant)}: {point.PublishFailed:N0} message(s) failed to publish and {point.DeadLettered:N0} were dead-lettered; the load must get through whole.");
                }

                if (published is null && point.Published >= count)
                {
                    published = point.At;
                }

                if (point.Processed >= count)
                {
                    break;
                }

                if (published is null && point.At > publishTimeout)
                {
                    throw new BenchmarkFailedException(
                        $"{Name(variant)}: the Producer's generator published {point.Published:N0} of {count:N0} messages in {publishTimeout.TotalSeconds} s.");
                }

                if (published is { } done && point.At - done > DrainTimeout)
                {
                    throw new BenchmarkFailedException(
                        $"{Name(variant)}: the Consumer processed {point.Processed:N0} of the {count:N0} messages sent, none more within {DrainTimeout.TotalSeconds} s of the last one published.");
                }

                await Task.Delay(PollInterval);
            }
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
        }

        if (progress[^1].Processed != count || progress[^1].Published != count)
        {
            throw new BenchmarkFailedException(
                $"{Name(variant)}: {progress[^1].Published:N0} messages published and {progress[^1].Processed:N0} processed, not {count:N0}.");
        }

        var generatorRate = SteadyRate(progress, p => p.Published, count);
        if (generatorRate < 0.9 * options.MemoryRate)
        {
            throw new BenchmarkFailedException(
                $"{Name(variant)}: the Producer's generator sustained {generatorRate:N0} msg/s, not the {options.MemoryRate:N0} asked for: choose a lower --memory-rate.");
        }

        var otherCpu = OtherLoad.Share(loadBefore, OtherLoad.Take(producer.Id, consumer.Id));
        var producerAfter = producer.Memory() ?? throw Exited(producer);
        var consumerAfter = consumer.Memory() ?? throw Exited(consumer);

        // Stopped as a service manager would: the exporters flush what they still hold.
        await Task.WhenAll(producer.StopAsync(StopTimeout), consumer.StopAsync(StopTimeout));
        var otlp = sink.Received;
        CheckTelemetry(variant, otlp);

        var loadTime = published!.Value;
        return new ServiceMemoryMeasurement(
            variant, round, count,
            new ServiceSample(producerBefore.Rss, producerAfter.Peak, EndOfLoadRss(producerSamples, loadTime)),
            new ServiceSample(consumerBefore.Rss, consumerAfter.Peak, EndOfLoadRss(consumerSamples, loadTime)),
            generatorRate,
            SteadyRate(progress, p => p.Processed, count),
            otherCpu,
            otlp);
    }

    /// <summary>
    /// Messages per second between the first and the last poll that saw the load under way (some
    /// but not all messages done): the rate held, without the start and end of the burst.
    /// </summary>
    private static double SteadyRate(List<LoadProgress> progress, Func<LoadProgress, long> done, long count)
    {
        var underway = progress.Where(p => done(p) > 0 && done(p) < count).ToArray();
        return underway.Length >= 2 && underway[^1].At > underway[0].At
            ? (done(underway[^1]) - done(underway[0])) / (underway[^1].At - underway[0].At).TotalSeconds
            : count / progress.First(p => done(p) >= count).At.TotalSeconds;
    }

    private static async Task<JsonElement> GetJsonAsync(ServiceProcess service, HttpClient http, string path)
    {
        service.ThrowIfExited();
        return (await http.GetFromJsonAsync<JsonElement>(new Uri(service.BaseAddress, path))).Clone();
    }

    /// <summary>What Aspire gives a project resource (its OTEL_* settings for the services' SDK), and what the AppHost adds on embedded Kafka.</summary>
    internal static Dictionary<string, string> ServiceEnvironment(ServiceVariant variant, string service, EmbeddedKafkaCluster kafka, OtlpSink sink,
        Dictionary<string, string> extra)
    {
        var environment = new Dictionary<string, string>(extra)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__kafka"] = kafka.BootstrapServers,
            [ConfigurationKeys.EnvironmentVariable(ConfigurationKeys.MessagingTopic)] = Topic,
            ["OTEL_SERVICE_NAME"] = service,
            // Set in both variants: with OTEL_SDK_DISABLED the sink must then receive nothing, which shows the SDK is off.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"{sink.Address}/{service}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based",
        };
        foreach (var (key, value) in EmbeddedKafkaCluster.ClientSettings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        if (variant == ServiceVariant.Uninstrumented)
        {
            // OpenTelemetry .NET 1.15+: the TracerProvider, MeterProvider and LoggerProvider the
            // services' AddOpenTelemetry() registers are no-ops (TracerProviderBuilderBase et al.).
            environment["OTEL_SDK_DISABLED"] = "true";
        }

        return environment;
    }

    private static void CheckTelemetry(ServiceVariant variant, IReadOnlyDictionary<(string Service, string Signal), (long Requests, long Bytes)> otlp)
    {
        if (variant == ServiceVariant.Uninstrumented)
        {
            var requests = otlp.Values.Sum(c => c.Requests);
            if (requests > 0)
            {
                throw new BenchmarkFailedException(
                    $"Uninstrumented, with OTEL_SDK_DISABLED=true: the OTLP sink still received {requests} request(s) ({string.Join(", ", otlp.Keys.Select(k => $"{k.Service} {k.Signal}"))}): the SDK was not disabled.");
            }

            return;
        }

        foreach (var service in new[] { "producer", "consumer" })
        {
            if (!otlp.TryGetValue((service, "traces"), out var traces) || traces.Requests == 0)
            {
                throw new BenchmarkFailedException($"Instrumented: the OTLP sink received no traces from the {service}.");
            }
        }
    }

    /// <summary>Waits until the service answers /health with 200 (its Kafka client reached the broker).</summary>
    internal static async Task WaitHealthyAsync(ServiceProcess service, HttpClient http)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            service.ThrowIfExited();
            try
            {
                using var response = await http.GetAsync(new Uri(service.BaseAddress, "/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (waited.Elapsed > StartTimeout)
            {
                throw new BenchmarkFailedException(
                    $"The {service.Name} did not answer /health with 200 within {StartTimeout.TotalSeconds} s. Its last output:{Environment.NewLine}{service.Tail}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>GETs <paramref name="path"/> every 250 ms until <paramref name="done"/>.</summary>
    private static async Task PollAsync(ServiceProcess service, HttpClient http, string path, Func<JsonElement, bool> done,
        TimeSpan timeout, string failure)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var answer = await GetJsonAsync(service, http, path);
            if (done(answer))
            {
                return;
            }

            if (waited.Elapsed > timeout)
            {
                throw new BenchmarkFailedException($"{failure} within {timeout.TotalSeconds:F0} s (last {path}: {answer}). Its last output:{Environment.NewLine}{service.Tail}");
            }

            await Task.Delay(PollInterval);
        }
    }

    private static async Task SampleAsync(IReadOnlyList<(ServiceProcess Service, List<(TimeSpan At, long Rss)> Samples)> services, Stopwatch clock,
        CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            do
            {
                foreach (var (service, samples) in services)
                {
                    if (service.Memory() is { } memory)
                    {
                        samples.Add((clock.Elapsed, memory.Rss));
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static long EndOfLoadRss(List<(TimeSpan At, long Rss)> samples, TimeSpan loadTime)
    {
        var from = loadTime - (EndOfLoad < loadTime / 2 ? EndOfLoad : loadTime / 2);
        var last = samples.Where(s => s.At >= from && s.At <= loadTime).Select(s => s.Rss).Order().ToArray();
        return last.Length == 0 ? samples[^1].Rss : last[last.Length / 2];
    }

    private static BenchmarkFailedException Exited(ServiceProcess service) =>
        new($"The {service.Name} is no longer running. Its last output:{Environment.NewLine}{service.Tail}");

    /// <summary>The service's assembly, built with this program (ProjectReference in the .csproj, same configuration).</summary>
    internal static string ServiceAssembly(string name)
    {
        var path = typeof(ServiceMemoryBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == $"ServiceAssembly:{name}")?.Value;
        if (path is null || !File.Exists(path))
        {
            throw new BenchmarkFailedException(
                $"{name}.dll was not found{(path is null ? "" : $" at {path}")}: build the services with this program, e.g. `dotnet build -c Release bench/KafkaO11y.Benchmarks`.");
        }

        return path;
    }
}

/// <param name="RssBeforeLoad">Resident set (VmRSS) once started, after the first message, before the load.</param>
/// <param name="PeakRss">Peak resident set since the process started (VmHWM), read once the last message was processed.</param>
/// <param name="EndOfLoadRss">Median resident set over the last seconds of the load (<see cref="ServiceMemoryBenchmark.EndOfLoad"/>).</param>
internal sealed record ServiceSample(long RssBeforeLoad, long PeakRss, long EndOfLoadRss);

/// <param name="Messages">Messages of the load burst: published by the Producer and processed by the Consumer, all of them.</param>
/// <param name="GeneratorRate">Messages per second the generator held (GET /generator's published count, polled).</param>
/// <param name="ConsumerRate">Messages per second the Consumer held (GET /stats' processed count, polled).</param>
/// <param name="OtherCpu">Share of the machine's CPU that processes other than the benchmark and the two services used during the load (null: unknown).</param>
/// <param name="Otlp">What the sink received, by service and signal.</param>
internal sealed record ServiceMemoryMeasurement(
    ServiceVariant Variant, int Round, long Messages, ServiceSample Producer, ServiceSample Consumer,
    double GeneratorRate, double ConsumerRate, double? OtherCpu, IReadOnlyDictionary<(string Service, string Signal), (long Requests, long Bytes)> Otlp);

/// <summary>One poll of both services during the load: messages published (or failed) by the generator, processed (or dead-lettered) by the Consumer.</summary>
internal readonly record struct LoadProgress(TimeSpan At, long Published, long PublishFailed, long Processed, long DeadLettered);
