using System.Diagnostics;

namespace KafkaO11y.Producer;

/// <summary>
/// Publishes generated messages at the rate <see cref="GeneratorControl"/> says (the steady rate
/// until paused, or a load burst's rate until its count is sent).
/// Sends overlap (up to <see cref="MaxInFlight"/>), so a slow acknowledgement does not lower the
/// rate; past that bound the generator waits instead of piling messages up in memory.
/// </summary>
public sealed partial class MessageGenerator(
    GeneratorControl control, MessagePublisher publisher, ILogger<MessageGenerator> logger) : BackgroundService
{
    public const int MaxInFlight = 1_000;

    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var next = Stopwatch.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var state = control.State;
            if (state.EffectiveRate <= 0)
            {
                await control.WaitForChangeAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                next = Stopwatch.GetTimestamp();
                continue;
            }

            // Pace by schedule, not by sleeping a fixed time after each send, so the rate holds.
            var interval = TimeSpan.FromSeconds(1 / state.EffectiveRate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                var changed = control.WaitForChangeAsync(stoppingToken);
                await Task.WhenAny(Task.Delay(wait, stoppingToken), changed);
                if (changed.IsCompleted)
                {
                    next = Stopwatch.GetTimestamp();
                    continue;
                }
            }

            next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
            if (Stopwatch.GetElapsedTime(next) > TimeSpan.FromSeconds(1))
            {
                // Far behind (the machine stalled): start afresh rather than send a burst to catch up.
                next = Stopwatch.GetTimestamp();
            }

            if (state.Burst is not null && !control.TakeBurstMessage())
            {
                // The burst ended or was stopped meanwhile.
                continue;
            }

            await _inFlight.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!stoppingToken.IsCancellationRequested)
            {
                _ = PublishOneAsync(stoppingToken);
            }
        }
    }

    private async Task PublishOneAsync(CancellationToken stoppingToken)
    {
        try
        {
            await publisher.PublishAsync($"generated at {DateTimeOffset.UtcNow:O}", key: null, stoppingToken);
            control.CountPublished();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            control.CountFailed();
            LogPublishFailed(e);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    public override void Dispose()
    {
        _inFlight.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The generator could not publish a message")]
    private partial void LogPublishFailed(Exception error);
}
