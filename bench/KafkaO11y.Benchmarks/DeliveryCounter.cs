using System.Diagnostics;
using Confluent.Kafka;

namespace KafkaO11y.Benchmarks;

/// <summary>Counts delivery reports (served on the client's polling thread) and fails on any error.</summary>
internal sealed class DeliveryCounter
{
    private long _delivered;
    private long _failed;
    private string? _firstError;

    public DeliveryCounter() => Handler = report =>
    {
        if (report.Error.IsError)
        {
            _firstError ??= report.Error.ToString();
            Interlocked.Increment(ref _failed);
        }
        else
        {
            Interlocked.Increment(ref _delivered);
        }
    };

    public Action<DeliveryReport<string, byte[]>> Handler { get; }

    /// <summary>Fails, saying <paramref name="what"/>, if any delivery failed so far.</summary>
    public void ThrowIfFailed(string what)
    {
        if (Interlocked.Read(ref _failed) > 0)
        {
            throw new BenchmarkFailedException($"{what}: {_failed} message(s) failed; first error: {_firstError}.");
        }
    }

    public void WaitFor(int count, TimeSpan timeout)
    {
        // Flush returns once the reports are out of librdkafka's queue; the last handler may still be running.
        var waited = Stopwatch.StartNew();
        while (Interlocked.Read(ref _delivered) + Interlocked.Read(ref _failed) < count)
        {
            if (waited.Elapsed > timeout)
            {
                throw new InvalidOperationException($"Only {_delivered + _failed} of {count} delivery reports arrived.");
            }

            Thread.Yield();
        }

        if (_failed > 0)
        {
            throw new InvalidOperationException($"{_failed} of {count} message(s) failed; first error: {_firstError}.");
        }
    }
}
