using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Producer;

/// <summary>The generator's start-up settings (section <c>Generator</c>).</summary>
public sealed class GeneratorOptions
{
    public const string Section = "Generator";
    public const double MinMessagesPerSecond = 0.01;
    public const double MaxMessagesPerSecond = 10_000;

    [Range(MinMessagesPerSecond, MaxMessagesPerSecond)]
    public double MessagesPerSecond { get; set; } = 5;

    /// <summary>Within the range above; false for NaN.</summary>
    public static bool IsValidRate(double rate) => rate is >= MinMessagesPerSecond and <= MaxMessagesPerSecond;

    public bool Paused { get; set; }
}

/// <summary>A load burst in progress: its rate and how many messages it still has to send.</summary>
public sealed record LoadBurst(double MessagesPerSecond, long Remaining);

/// <summary>What the generator does now, as <c>GET /generator</c> shows it.</summary>
/// <param name="MessagesPerSecond">The steady rate.</param>
/// <param name="Paused">Whether the steady generation is paused (a burst runs regardless).</param>
/// <param name="Burst">The load burst in progress, if any: it replaces the steady rate until done.</param>
public sealed record GeneratorState(double MessagesPerSecond, bool Paused, LoadBurst? Burst, long Published, long Failed)
{
    /// <summary>The rate the generator sends at now; 0 when it waits.</summary>
    public double EffectiveRate => Burst?.MessagesPerSecond ?? (Paused ? 0 : MessagesPerSecond);
}

/// <summary>
/// The generator's rate and pause switch, changeable at runtime over HTTP. The generator waits on
/// <see cref="WaitForChangeAsync"/> so that a change takes effect at once.
/// </summary>
public sealed class GeneratorControl(IOptions<GeneratorOptions> options)
{
    private readonly Lock _lock = new();
    private double _messagesPerSecond = options.Value.MessagesPerSecond;
    private bool _paused = options.Value.Paused;
    private LoadBurst? _burst;
    private long _published;
    private long _failed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GeneratorState State
    {
        get
        {
            lock (_lock)
            {
                return new GeneratorState(_messagesPerSecond, _paused, _burst, Interlocked.Read(ref _published), Interlocked.Read(ref _failed));
            }
        }
    }

    public GeneratorState Update(double? messagesPerSecond, bool? paused)
    {
        lock (_lock)
        {
            _messagesPerSecond = messagesPerSecond ?? _messagesPerSecond;
            _paused = paused ?? _paused;
            SignalChange();
        }

        return State;
    }

    /// <summary>Sends <paramref name="count"/> messages at <paramref name="messagesPerSecond"/>, then returns to the steady rate.</summary>
    public GeneratorState StartBurst(double messagesPerSecond, long count)
    {
        lock (_lock)
        {
            _burst = new LoadBurst(messagesPerSecond, count);
            SignalChange();
        }

        return State;
    }

    public GeneratorState StopBurst()
    {
        lock (_lock)
        {
            _burst = null;
            SignalChange();
        }

        return State;
    }

    /// <summary>Takes one message of the burst; false when no burst is left to send.</summary>
    public bool TakeBurstMessage()
    {
        lock (_lock)
        {
            if (_burst is null)
            {
                return false;
            }

            _burst = _burst.Remaining > 1 ? _burst with { Remaining = _burst.Remaining - 1 } : null;
            if (_burst is null)
            {
                SignalChange();
            }

            return true;
        }
    }

    private void SignalChange()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Completes when the rate or the pause switch changes.</summary>
    public Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _changed.Task.WaitAsync(cancellationToken);
        }
    }

    public void CountPublished() => Interlocked.Increment(ref _published);

    public void CountFailed() => Interlocked.Increment(ref _failed);
}
