using System.Reflection;
using System.Runtime.ExceptionServices;
using Confluent.Kafka;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// A real Confluent.Kafka producer, watched: the time of every <c>ProduceAsync</c>, how many are
/// waiting for Kafka's answer now and at most, and optionally its first sends failing with given
/// exceptions (as faulted tasks, as a real send fails).
/// </summary>
public class ObservedProducer : DispatchProxy
{
    private readonly Lock _lock = new();
    private readonly List<DateTime> _sends = [];
    private IProducer<string, byte[]> _inner = null!;
    private Queue<Exception> _faults = null!;
    private int _inFlight;
    private int _maxInFlight;

    public static (IProducer<string, byte[]> Producer, ObservedProducer Observed) Wrap(IProducer<string, byte[]> inner, params Exception[] firstSendsFail)
    {
        var proxy = Create<IProducer<string, byte[]>, ObservedProducer>();
        var self = (ObservedProducer)(object)proxy;
        (self._inner, self._faults) = (inner, new Queue<Exception>(firstSendsFail));
        return (proxy, self);
    }

    /// <summary>When each send was asked for, in order.</summary>
    public IReadOnlyList<DateTime> Sends
    {
        get
        {
            lock (_lock)
            {
                return [.. _sends];
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IProducer<string, byte[]>.ProduceAsync))
        {
            lock (_lock)
            {
                _sends.Add(DateTime.UtcNow);
                if (_faults.TryDequeue(out var fault))
                {
                    return Task.FromException<DeliveryResult<string, byte[]>>(fault);
                }
            }

            var now = Interlocked.Increment(ref _inFlight);
            for (var max = MaxInFlight; now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = MaxInFlight)
            {
            }

            var send = (Task<DeliveryResult<string, byte[]>>)Call(method, args)!;
            send.ContinueWith(_ => Interlocked.Decrement(ref _inFlight), TaskScheduler.Default);
            return send;
        }

        return Call(method, args);
    }

    private object? Call(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
