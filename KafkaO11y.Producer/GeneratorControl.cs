using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace KafkaO11y.Producer;

/// <summary>The generator's start-up settings (section <c>Generator</c>).</summary>
public sealed class GeneratorOptions
{
    public const string Section = "Generator";
    public const double MaxMessagesPerSecond = 10_000;

    [Range(0.01, MaxMessagesPerSecond)]
    public double MessagesPerSecond { get; set; } = 5;

    public bool Paused { get; set; }
}

/// <summary>What the generator does now, as <c>GET /generator</c> shows it.</summary>
public sealed record GeneratorState(double MessagesPerSecond, bool Paused, long Published, long Failed);

/// <summary>
/// The generator's rate and pause switch, changeable at runtime over HTTP. The generator waits on
/// <see cref="WaitForChangeAsync"/> so that a change takes effect at once.
/// </summary>
public sealed class GeneratorControl(IOptions<GeneratorOptions> options)
{
    private readonly Lock _lock = new();
    private double _messagesPerSecond = options.Value.MessagesPerSecond;
    private bool _paused = options.Value.Paused;
    private long _published;
    private long _failed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GeneratorState State
    {
        get
        {
            lock (_lock)
            {
                return new GeneratorState(_messagesPerSecond, _paused, Interlocked.Read(ref _published), Interlocked.Read(ref _failed));
            }
        }
    }

    public GeneratorState Update(double? messagesPerSecond, bool? paused)
    {
        lock (_lock)
        {
            _messagesPerSecond = messagesPerSecond ?? _messagesPerSecond;
            _paused = paused ?? _paused;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return State;
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
