using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Confluent.Kafka;
using KafkaO11y.Contracts;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>
/// The Producer dying the hard way (SIGKILL) during a burst, on the real services and the embedded
/// broker: what it accepted is in Kafka, whatever was cut off.
/// </summary>
[Collection(FaultsAppCollection.Name)]
public sealed class ProducerCrashTests(FaultsAppFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The Producer killed while requests pour in: a request it answered 202 was acknowledged by
    /// Kafka first, so every one of them is in the topic; the ones cut off got no 202 and promise nothing.
    /// </summary>
    [Fact]
    public async Task A_producer_killed_during_a_burst_leaves_every_message_it_accepted_in_the_topic()
    {
        const int Messages = 400;
        var run = Guid.NewGuid().ToString("N")[..8];
        using var producer = fixture.CreateHttpClient("producer");
        producer.Timeout = TimeSpan.FromSeconds(15);
        var accepted = new ConcurrentDictionary<Guid, Published>();
        var cutOff = 0;
        var answered = 0;
        var killNow = new TaskCompletionSource();
        using var stopSending = new CancellationTokenSource();
        var sending = Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 10, CancellationToken = stopSending.Token }, async (i, token) =>
        {
            // Each request runs to its end (it was sent); only requests not yet started are given up.
            token = CancellationToken.None;
            try
            {
                using var response = await producer.PostAsJsonAsync("/messages", new { payload = $"producer-crash-{run}-{i}" }, token);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var published = (await response.Content.ReadFromJsonAsync<Published>(token))!;
                    accepted[published.Id] = published;
                }
                else
                {
                    Interlocked.Increment(ref cutOff);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The connection died with the process (or the test stopped waiting for a dead one).
                Interlocked.Increment(ref cutOff);
            }

            if (Interlocked.Increment(ref answered) == Messages / 3)
            {
                killNow.TrySetResult();
            }
        });

        await killNow.Task.WaitAsync(Timeout);
        var killed = await ServiceCrash.KillAsync(fixture.App, "producer");
        // No new request starts, since nothing would answer it; those in flight at the kill run to
        // their end (cut off, or answered just before it).
        await stopSending.CancelAsync();
        try
        {
            await sending.WaitAsync(Timeout);
        }
        catch (OperationCanceledException)
        {
        }

        await ServiceCrash.RestartAfterCrashAsync(fixture.App, "producer", Timeout);

        // Each accepted message where the 202 said: topic, partition and offset hold its id.
        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"producer-crash-{run}" }).Build();
        var missing = new List<Published>();
        foreach (var message in accepted.Values)
        {
            reader.Assign(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset));
            var stored = reader.Consume(TimeSpan.FromSeconds(10));
            if (stored?.Message.Key != message.Id.ToString())
            {
                missing.Add(message);
            }
        }

        output.WriteLine($"posted: {accepted.Count + cutOff} (of {Messages} planned); accepted (202): {accepted.Count}; cut off by the kill (no 202): {cutOff}; " +
            $"killed pid(s) {string.Join(',', killed)} after {Messages / 3} answers; accepted but not in the topic: {missing.Count}");
        Assert.True(accepted.Count >= Messages / 3 - 10, $"only {accepted.Count} accepted before the kill");
        Assert.True(cutOff > 0, "the kill should have cut some requests off");
        Assert.Empty(missing);
    }
}
