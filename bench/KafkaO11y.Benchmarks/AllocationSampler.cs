using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// What the process allocates, by type, while it listens: the runtime's allocation ticks
/// (<c>GCAllocationTick</c>, one about every 100 KB allocated, naming the type of the object that
/// crossed the mark and the bytes since the last tick). A sample, not a census: a type allocated
/// often enough is seen in proportion to its bytes.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new();
    private volatile bool _listening;

    /// <summary>Starts counting (the listener is on from its creation, but counts only between Start and Stop).</summary>
    public void Start()
    {
        _bytesByType.Clear();
        _listening = true;
    }

    /// <summary>
    /// Stops counting, once the runtime has delivered the ticks of what ran before (they arrive on
    /// a thread of their own, a little late); returns the bytes per type.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> StopAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        _listening = false;
        return new Dictionary<string, long>(_bytesByType);
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            // Verbose: the allocation tick is a verbose event of the GC keyword.
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_listening || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
        {
            return;
        }

        var type = eventData.PayloadNames.IndexOf("TypeName") is >= 0 and var typeIndex ? eventData.Payload![typeIndex] as string : null;
        var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        var bytes = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload![amountIndex], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytesByType.AddOrUpdate(type ?? "(unknown)", bytes, (_, sum) => sum + bytes);
    }
}
