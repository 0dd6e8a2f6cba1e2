using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Confluent.Kafka;
using KafkaO11y.EmbeddedKafka;
using KafkaO11y.Contracts;

namespace KafkaO11y.Benchmarks;

/// <summary>The faults of the soak; each is undone before the next one comes.</summary>
internal enum SoakFault
{
    /// <summary>The Consumer killed with SIGKILL, started again 2 s later.</summary>
    ConsumerKilled,

    /// <summary>The Producer killed with SIGKILL while requests pour in, started again 5 s later.</summary>
    ProducerKilled,

    /// <summary>The broker leading a partition goes down, its leaderships move to a live broker; it comes back 5 s later.</summary>
    BrokerDown,

    /// <summary>The next 8 produce requests of each dead-letter partition fail; they run out as poison arrives.</summary>
    DeadLetterTopicFailing,
}

/// <summary>
/// The real Producer and Consumer (child processes, instrumented, OTLP to a local sink) on a
/// 3-broker embedded cluster with replication factor 3, under steady load for minutes: messages
/// at a fixed rate to POST /messages and a poison message a second to POST /poison, while faults
/// come and go. Then every message is accounted for from what Kafka holds: the topic, the
/// dead-letter topic and the group's commits. It fails on any message lost.
/// </summary>
internal sealed class SoakBenchmark : IAsyncDisposable
{
    private const string Topic = MessageTopics.Messages;
    private static readonly string DeadLetterTopic = MessageTopics.DeadLetterOf(Topic);
    // The embedded broker keeps only the last 5 MiB of each partition: with 3 partitions that is
    // under a minute of 1,000 msg/s, and after a leader change a client whose position's leader
    // epoch was already deleted is sent back to the oldest record, which is deleted again before it
    // is read, over and over. 12 partitions keep about 4 minutes, longer than any fault lasts.
    private const int Partitions = 12;
    private const int Brokers = 3;
    private const int MaxInFlight = 256;
    private const int DeadLetterErrors = 8;
    private const string ConsumerGroup = "kafka-o11y-consumer";
    private static readonly TimeSpan UndoAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConsumerDownFor = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    /// <summary>A service may grow to at most this many times its resident memory at the start (5 s after it started).</summary>
    public const double MemoryBound = 2.0;

    private readonly SoakOptions _options;
    private readonly Random _random;
    private readonly int _seed;
    private readonly EmbeddedKafkaCluster _kafka;
    private readonly OtlpSink _sink;
    private readonly string _producerAssembly;
    private readonly string _consumerAssembly;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Stopwatch _clock = new();
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight);

    // Leader of each partition of both topics: the mock cluster puts them all on broker 1 at first.
    private readonly Dictionary<(string Topic, int Partition), int> _leaders = [];

    private readonly ConcurrentDictionary<Guid, Answer> _accepted = new();
    private readonly ConcurrentDictionary<Guid, Answer> _poison = new();
    private long _refused;
    private long _cutOff;
    private long _notSent;
    private long _unexpected;
    private readonly List<string> _faultLog = [];
    private readonly List<Incarnation> _consumers = [];
    private readonly List<Incarnation> _producers = [];
    private long _redelivered;

    // Retention: the embedded broker keeps only the last 5 MiB of each partition (librdkafka's mock
    // cluster, not configurable), so the soak watches that it never deletes what the Consumer has not done.
    private readonly Dictionary<int, long> _minHeadroom = [];
    private long _deletedBeforeProcessed;

    private readonly TopicTail _tail;
    private readonly IConsumer<Ignore, Ignore> _groupProbe;
    private volatile ServiceProcess _producer = null!;
    private volatile ServiceProcess _consumer = null!;

    private SoakBenchmark(SoakOptions options, EmbeddedKafkaCluster kafka, OtlpSink sink)
    {
        _options = options;
        _seed = options.Seed ?? Random.Shared.Next();
        _random = new Random(_seed);
        _kafka = kafka;
        _sink = sink;
        _producerAssembly = ServiceMemoryBenchmark.ServiceAssembly("KafkaO11y.Producer");
        _consumerAssembly = ServiceMemoryBenchmark.ServiceAssembly("KafkaO11y.Consumer");
        _tail = new TopicTail(kafka.BootstrapServers, Partitions, Topic, DeadLetterTopic);
        _groupProbe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = ConsumerGroup }).Build();
        foreach (var topic in new[] { Topic, DeadLetterTopic })
        {
            for (var partition = 0; partition < Partitions; partition++)
            {
                _leaders[(topic, partition)] = 1;
            }
        }
    }

    /// <returns>The report (Markdown).</returns>
    public static async Task<string> RunAsync(SoakOptions options)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BenchmarkFailedException("The soak reads /proc/<pid>/status: it runs on Linux only.");
        }

        await using var sink = await OtlpSink.StartAsync();
        using var kafka = EmbeddedKafkaCluster.Start(Brokers, [new KafkaTopic(Topic, Partitions), new KafkaTopic(DeadLetterTopic, Partitions)]);
        await using var soak = new SoakBenchmark(options, kafka, sink);
        return await soak.RunAsync();
    }

    private async Task<string> RunAsync()
    {
        Console.Error.WriteLine($"Soak. {_options.Seconds} s at {_options.Rate:N0} msg/s plus a poison message a second; a fault every {_options.FaultEvery} s (seed {_seed}); 3 brokers at {_kafka.BootstrapServers}.");
        _producer = await StartAsync(_producers, "Producer");
        _consumer = await StartAsync(_consumers, "Consumer");

        using var stop = new CancellationTokenSource();
        _clock.Start();
        var sending = SendAsync(stop.Token);
        var poisoning = SendPoisonAsync(stop.Token);
        var watching = WatchAsync(stop.Token);
        var tailing = Task.Run(() => _tail.Follow(stop.Token));
        try
        {
            await RunFaultsAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(sending, poisoning, watching);
        }

        await tailing;

        // Every request answered (or given up) before the account is taken.
        for (var i = 0; i < MaxInFlight; i++)
        {
            await _inFlight.WaitAsync();
        }

        var loadTime = _clock.Elapsed;
        Console.Error.WriteLine($"  {loadTime.TotalSeconds:F0} s: load stopped; {_accepted.Count:N0} accepted. Draining.");
        var drained = await DrainAsync();
        await RecordStatsAsync(_consumers[^1], _consumer);
        await RecordMemoryAsync();
        await Task.WhenAll(_producer.StopAsync(TimeSpan.FromSeconds(15)), _consumer.StopAsync(TimeSpan.FromSeconds(15)));

        var account = await TakeAccountAsync();
        var report = SoakReport.Render(_options, _seed, loadTime, drained, account, _faultLog, _producers, _consumers, _redelivered,
            new SoakRequests(_refused, _cutOff, _notSent, _unexpected), StartOf, _minHeadroom);
        if (account.Lost > 0)
        {
            Console.WriteLine(report);
            throw new BenchmarkFailedException($"{account.Lost:N0} message(s) lost: {string.Join("; ", account.LostExamples)}.");
        }

        if (_unexpected > 0)
        {
            Console.WriteLine(report);
            throw new BenchmarkFailedException($"{_unexpected:N0} request(s) got an answer other than 202, 200 or 503.");
        }

        var overgrown = _producers.Concat(_consumers).Where(i => i.Peak > MemoryBound * StartOf(i.Service)).ToList();
        if (overgrown.Count > 0)
        {
            Console.WriteLine(report);
            throw new BenchmarkFailedException($"memory grew beyond {MemoryBound}x the start: {string.Join("; ", overgrown.Select(i => $"{i.Service} #{i.Number} peak {i.Peak / 1048576.0:F0} MiB"))}.");
        }

        return report;
    }

    /// <summary>The figure a service's memory is held to: its resident memory 5 s into its first incarnation that lived that long.</summary>
    public long StartOf(string service)
    {
        var start = (service == "Producer" ? _producers : _consumers).Select(i => i.Start).FirstOrDefault(rss => rss > 0);
        return start > 0 ? start : long.MaxValue;
    }

    private async Task<ServiceProcess> StartAsync(List<Incarnation> incarnations, string name)
    {
        var service = name == "Producer"
            ? ServiceProcess.Start(name, _producerAssembly, ServiceMemoryBenchmark.ServiceEnvironment(ServiceVariant.Instrumented, "producer", _kafka, _sink, new()
            {
                // Only what this program sends: not the steady 5 msg/s of the generator's default.
                ["Generator__Paused"] = "true",
            }))
            : ServiceProcess.Start(name, _consumerAssembly, ServiceMemoryBenchmark.ServiceEnvironment(ServiceVariant.Instrumented, "consumer", _kafka, _sink, new()
            {
                ["Processing__DelayMilliseconds"] = "0",
                // A killed member holds its partitions until its session times out (45 s by default),
                // and the embedded broker keeps only about a minute of this load: 6 s (Kafka's minimum).
                ["Kafka__Consumer__SessionTimeoutMs"] = "6000",
                ["Kafka__Consumer__HeartbeatIntervalMs"] = "1000",
            }));
        await ServiceMemoryBenchmark.WaitHealthyAsync(service, _http);
        incarnations.Add(new Incarnation(name, incarnations.Count + 1, service.Id, _clock.Elapsed));
        return service;
    }

    /// <summary>POST /messages at the rate asked, each request on its own (at most 256 at once).</summary>
    private async Task SendAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        long sent = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop) && _clock.Elapsed.TotalSeconds < _options.Seconds)
            {
                var due = (long)(_clock.Elapsed.TotalSeconds * _options.Rate);
                for (; sent < due; sent++)
                {
                    if (!_inFlight.Wait(0))
                    {
                        // Back-pressure: the Producer is not answering; a real client would wait too.
                        Interlocked.Increment(ref _notSent);
                        continue;
                    }

                    _ = PostAsync("/messages", new { payload = $"soak {sent}" }, _accepted, single: true);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task SendPoisonAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop) && _clock.Elapsed.TotalSeconds < _options.Seconds)
            {
                if (_inFlight.Wait(0))
                {
                    _ = PostAsync("/poison", new { count = 1 }, _poison, single: false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task PostAsync(string path, object body, ConcurrentDictionary<Guid, Answer> into, bool single)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync(new Uri(_producer.BaseAddress, path), body);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Accepted or HttpStatusCode.OK:
                    var answers = single
                        ? [(await response.Content.ReadFromJsonAsync<Answer>())!]
                        : (await response.Content.ReadFromJsonAsync<List<Answer>>())!;
                    foreach (var answer in answers)
                    {
                        into[answer.Id] = answer;
                    }

                    break;
                case HttpStatusCode.ServiceUnavailable:
                    // Kafka did not acknowledge within the Producer's delivery timeout: refused, so promised nothing.
                    Interlocked.Increment(ref _refused);
                    break;
                default:
                    Interlocked.Increment(ref _unexpected);
                    Console.Error.WriteLine($"  {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    break;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            // The Producer was killed (or not yet back): no answer, so no promise either.
            Interlocked.Increment(ref _cutOff);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>Every second: memory of both services, and the Consumer's counts (kept per incarnation).</summary>
    private async Task WatchAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await RecordMemoryAsync();
                var incarnation = _consumers[^1];
                await RecordStatsAsync(incarnation, _consumer);
                var stats = incarnation.Stats;
                try
                {
                    CheckRetention(incarnation.Pid == _consumer.Id ? stats : null);
                }
                catch (KafkaException)
                {
                    // The broker asked is down (a fault): the next look tells.
                }
                Console.Error.Write($"\r  {_clock.Elapsed.TotalSeconds,4:F0} s: accepted {_accepted.Count:N0}, poison {_poison.Count:N0}, refused {_refused:N0}, cut off {_cutOff:N0}, not sent {_notSent:N0}; Consumer #{_consumers.Count} processed {stats?.Processed ?? 0:N0}   ");
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private Task RecordMemoryAsync()
    {
        foreach (var (incarnations, service) in new[] { (_producers, _producer), (_consumers, _consumer) })
        {
            var incarnation = incarnations[^1];
            if (incarnation.Pid == service.Id && service.Memory() is { } memory)
            {
                incarnation.End = memory.Rss;
                incarnation.Peak = Math.Max(incarnation.Peak, memory.Peak);
                if (incarnation.Start == 0 && _clock.Elapsed - incarnation.StartedAt >= WarmUp)
                {
                    incarnation.Start = memory.Rss;
                }
            }
        }

        return Task.CompletedTask;
    }

    private async Task RecordStatsAsync(Incarnation incarnation, ServiceProcess consumer)
    {
        if (incarnation.Pid != consumer.Id)
        {
            return;
        }

        try
        {
            incarnation.Stats = await _http.GetFromJsonAsync<ConsumerStats>(new Uri(consumer.BaseAddress, "/stats"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Between a kill and the restart.
        }
    }

    private async Task RunFaultsAsync()
    {
        var deck = new Queue<SoakFault>();
        var next = TimeSpan.FromSeconds(_options.FaultEvery);
        while (next.TotalSeconds < _options.Seconds)
        {
            await DelayUntil(next);
            if (deck.Count == 0)
            {
                foreach (var fault in Enum.GetValues<SoakFault>().OrderBy(_ => _random.Next()))
                {
                    deck.Enqueue(fault);
                }
            }

            var kind = deck.Dequeue();
            var at = _clock.Elapsed;
            var what = await InjectAsync(kind);
            _faultLog.Add($"{at.TotalSeconds,5:F0} s  {kind}: {what}");
            Console.Error.WriteLine();
            Console.Error.WriteLine($"  {at.TotalSeconds:F0} s: {kind}: {what}");
            next += TimeSpan.FromSeconds(_options.FaultEvery);
        }

        await DelayUntil(TimeSpan.FromSeconds(_options.Seconds));
    }

    private async Task DelayUntil(TimeSpan at)
    {
        var wait = at - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    /// <summary>Injects the fault and undoes it; returns what happened.</summary>
    private async Task<string> InjectAsync(SoakFault fault)
    {
        switch (fault)
        {
            case SoakFault.ConsumerKilled:
            {
                var victim = _consumer;
                await RecordStatsAsync(_consumers[^1], victim);
                var lastProcessed = _consumers[^1].Stats?.Partitions.Where(p => p.Topic == Topic).ToDictionary(p => p.Partition, p => p.LastOffset) ?? [];
                await victim.KillAsync();
                // What the next Consumer will do again: from the group's commit to the last message the dead one processed.
                var committed = Committed();
                var redone = lastProcessed.Sum(p => Math.Max(0, p.Value + 1 - committed.GetValueOrDefault(p.Key, 0)));
                Interlocked.Add(ref _redelivered, redone);
                await Task.Delay(ConsumerDownFor);
                _consumer = await StartAsync(_consumers, "Consumer");
                return $"pid {victim.Id} killed after processing {_consumers[^2].Stats?.Processed ?? 0:N0}; ~{redone:N0} processed since its last commit; Consumer #{_consumers.Count} started";
            }

            case SoakFault.ProducerKilled:
            {
                var victim = _producer;
                await victim.KillAsync();
                await Task.Delay(UndoAfter);
                _producer = await StartAsync(_producers, "Producer");
                return $"pid {victim.Id} killed; Producer #{_producers.Count} started";
            }

            case SoakFault.BrokerDown:
            {
                var partition = _random.Next(Partitions);
                var broker = _leaders[(Topic, partition)];
                var successor = broker % Brokers + 1;
                _kafka.SetBrokerDown(broker);
                // As Kafka's controller does: every partition it led gets another replica as its leader.
                await Task.Delay(200);
                var moved = _leaders.Where(l => l.Value == broker).Select(l => l.Key).ToList();
                foreach (var (topic, p) in moved)
                {
                    _kafka.SetPartitionLeader(topic, p, successor);
                    _leaders[(topic, p)] = successor;
                }

                await Task.Delay(UndoAfter);
                _kafka.SetBrokerUp(broker);
                return $"broker {broker} (leader of {Topic} partition {partition}) down for {UndoAfter.TotalSeconds} s; {moved.Count} leaderships moved to broker {successor}";
            }

            case SoakFault.DeadLetterTopicFailing:
                _kafka.FailRequests(DeadLetterTopic, KafkaRequest.Produce, KafkaErrorCode.NotEnoughReplicas, DeadLetterErrors);
                return $"the next {DeadLetterErrors} produce requests of each {DeadLetterTopic} partition fail with NOT_ENOUGH_REPLICAS";

            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    // The Producer keys a message by its id, a poison message by "poison-{kind}-{id}".
    private bool IsKeyOf(Answer message, string key) => _poison.ContainsKey(message.Id)
        ? key.StartsWith("poison-", StringComparison.Ordinal) && key.EndsWith(message.Id.ToString(), StringComparison.Ordinal)
        : key == message.Id.ToString();

    private Dictionary<int, long> Committed() =>
        _groupProbe.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)), TimeSpan.FromSeconds(30))
            .ToDictionary(c => c.Partition.Value, c => c.Offset.IsSpecial ? 0 : c.Offset.Value);

    /// <summary>
    /// How far the broker's log start is behind what the Consumer has done (its last processed offset,
    /// or the group's commit while it is down). The log start is read first: a log start past what
    /// was done afterwards means messages deleted before anyone processed them.
    /// </summary>
    private void CheckRetention(ConsumerStats? stats)
    {
        var logStart = Enumerable.Range(0, Partitions).ToDictionary(p => p,
            p => _groupProbe.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(2)).Low.Value);
        var committed = Committed();
        // Until the broker first deletes from a partition, nothing can be lost that way.
        foreach (var (partition, start) in logStart.Where(l => l.Value > 0))
        {
            var processed = stats?.Partitions.FirstOrDefault(p => p.Topic == Topic && p.Partition == partition)?.LastOffset + 1 ?? 0;
            var done = Math.Max(committed.GetValueOrDefault(partition), processed);
            var headroom = done - start;
            _minHeadroom[partition] = Math.Min(_minHeadroom.GetValueOrDefault(partition, long.MaxValue), headroom);
            if (headroom < 0)
            {
                _deletedBeforeProcessed = Math.Max(_deletedBeforeProcessed, -headroom);
            }
        }
    }

    /// <summary>Waits until the group's commits reach the end of every partition; returns how long that took.</summary>
    private async Task<TimeSpan> DrainAsync()
    {
        var ends = new Dictionary<int, long>();
        for (var partition = 0; partition < Partitions; partition++)
        {
            ends[partition] = await EndOfAsync(partition);
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            var committed = Committed();
            if (ends.All(end => committed.GetValueOrDefault(end.Key) >= end.Value))
            {
                return waited.Elapsed;
            }

            if (waited.Elapsed > DrainTimeout)
            {
                throw new BenchmarkFailedException(
                    $"the group's commits did not reach the end of the topic within {DrainTimeout.TotalMinutes} min: committed {string.Join(", ", committed.Select(c => $"{c.Key}:{c.Value}"))}, ends {string.Join(", ", ends.Select(e => $"{e.Key}:{e.Value}"))}. The Consumer's last output:{Environment.NewLine}{_consumer.Tail}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>
    /// A partition's end offset. Just after a fault the client's metadata may not know the partition's
    /// leader yet ("Unknown partition"): it asks again until the metadata catches up.
    /// </summary>
    private async Task<long> EndOfAsync(int partition)
    {
        var asking = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return _groupProbe.QueryWatermarkOffsets(new TopicPartition(Topic, partition), TimeSpan.FromSeconds(10)).High.Value;
            }
            catch (KafkaException e) when (!e.Error.IsFatal && asking.Elapsed < TimeSpan.FromSeconds(30))
            {
                Console.Error.WriteLine($"  the end of partition {partition} not known yet ({e.Error.Reason}); asking again");
                await Task.Delay(500);
            }
        }
    }

    /// <summary>What Kafka holds: both topics read from the beginning, and the group's commits.</summary>
    private async Task<SoakAccount> TakeAccountAsync()
    {
        await Task.Yield();
        var committed = Committed();
        var (inTopic, deadLetters) = _tail.ReadToEnd();
        var lost = new List<string>();
        var atTheirOffset = 0L;
        if (_deletedBeforeProcessed > 0)
        {
            lost.Add($"{_deletedBeforeProcessed:N0} deleted by the embedded broker's retention before the Consumer got to them");
        }

        if (inTopic.Unread > 0)
        {
            throw new BenchmarkFailedException(
                $"the account cannot be taken: {inTopic.Unread:N0} offsets of {Topic} were never read by the soak's own reader (deleted by the embedded broker's retention first?), so they cannot be checked.");
        }

        foreach (var message in _accepted.Values.Concat(_poison.Values))
        {
            if (!inTopic.ByPosition.TryGetValue((message.Partition, message.Offset), out var key) || !IsKeyOf(message, key))
            {
                lost.Add($"{message.Id} not at {message.Partition}/{message.Offset}");
                continue;
            }

            atTheirOffset++;
            if (committed.GetValueOrDefault(message.Partition) <= message.Offset)
            {
                lost.Add($"{message.Id} at {message.Partition}/{message.Offset} never passed by the group's commits");
            }
        }

        var deadLettered = 0L;
        foreach (var poison in _poison.Values)
        {
            if (deadLetters.Count.ContainsKey($"{poison.Partition}/{poison.Offset}"))
            {
                deadLettered++;
            }
            else
            {
                lost.Add($"poison at {poison.Partition}/{poison.Offset} not in {DeadLetterTopic}");
            }
        }

        var acceptedKeys = _accepted.Keys.Select(id => id.ToString()).ToHashSet();
        return new SoakAccount(
            Accepted: _accepted.Count,
            Poison: _poison.Count,
            AtTheirOffset: atTheirOffset,
            InTopic: inTopic.ByPosition.Count,
            InTopicNotAccepted: inTopic.Count.Keys.Count(key => !key.StartsWith("poison-", StringComparison.Ordinal) && !acceptedKeys.Contains(key)),
            TopicDuplicates: inTopic.Count.Values.Sum(n => n - 1),
            DeadLettered: deadLettered,
            DeadLetterCopies: deadLetters.Count.Values.Sum(n => n - 1),
            Lost: lost.Count - (_deletedBeforeProcessed > 0 ? 1 : 0) + _deletedBeforeProcessed,
            LostExamples: lost.Take(5).ToList());
    }

    public async ValueTask DisposeAsync()
    {
        if (_producer is not null)
        {
            await _producer.DisposeAsync();
        }

        if (_consumer is not null)
        {
            await _consumer.DisposeAsync();
        }

        _http.Dispose();
        _inFlight.Dispose();
        _tail.Dispose();
        _groupProbe.Dispose();
    }
}

/// <summary>What the Producer answers for a message it published.</summary>
internal sealed record Answer(Guid Id, int Partition, long Offset);

/// <summary>The part of the Consumer's GET /stats the soak reads.</summary>
internal sealed record ConsumerStats(long Processed, long Failed, long Duplicates, IReadOnlyList<ConsumerPartition> Partitions);

internal sealed record ConsumerPartition(string Topic, int Partition, long FirstOffset, long LastOffset);

/// <summary>One run of a service, from its start to its kill or the end of the soak.</summary>
internal sealed class Incarnation(string service, int number, int pid, TimeSpan startedAt)
{
    public string Service { get; } = service;
    public int Number { get; } = number;
    public int Pid { get; } = pid;
    public TimeSpan StartedAt { get; } = startedAt;

    /// <summary>Resident memory 5 s after the start (0: it did not live that long).</summary>
    public long Start { get; set; }

    /// <summary>Resident memory at the last look.</summary>
    public long End { get; set; }

    /// <summary>Peak resident memory (VmHWM).</summary>
    public long Peak { get; set; }

    /// <summary>The Consumer's last GET /stats.</summary>
    public ConsumerStats? Stats { get; set; }
}

internal sealed record SoakRequests(long Refused, long CutOff, long NotSent, long Unexpected);

/// <param name="Accepted">Messages answered 202.</param>
/// <param name="Poison">Poison messages answered 200.</param>
/// <param name="AtTheirOffset">Accepted and poison messages found at the partition and offset their answer named.</param>
/// <param name="InTopic">Records in the topic (from this run).</param>
/// <param name="InTopicNotAccepted">Messages in the topic whose request got no 202 (the Producer was killed after Kafka had them).</param>
/// <param name="TopicDuplicates">Records in the topic beyond the first with the same key.</param>
/// <param name="DeadLettered">Poison messages in the dead-letter topic.</param>
/// <param name="DeadLetterCopies">Dead letters beyond the first for the same source message.</param>
internal sealed record SoakAccount(
    long Accepted, long Poison, long AtTheirOffset, long InTopic, long InTopicNotAccepted, long TopicDuplicates,
    long DeadLettered, long DeadLetterCopies, long Lost, IReadOnlyList<string> LostExamples);
