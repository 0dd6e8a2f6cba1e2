using System.Collections.Concurrent;

namespace KafkaO11y.ServiceDefaults.Kafka;

/// <summary>
/// <c>{operation} {topic}</c> span names, made once per topic rather than once per message.
/// </summary>
internal sealed class KafkaSpanNames(string operation)
{
    // Applications use a handful of topics; a runaway number of them must not grow this for ever.
    private const int MaxTopics = 1_000;

    public static readonly KafkaSpanNames Send = new(MessagingAttributes.Operations.Send);
    public static readonly KafkaSpanNames Process = new(MessagingAttributes.Operations.Process);

    private readonly ConcurrentDictionary<string, string> _names = new();
    private int _count;

    public string For(string topic)
    {
        if (_names.TryGetValue(topic, out var name))
        {
            return name;
        }

        name = $"{operation} {topic}";
        // ConcurrentDictionary.Count takes every lock: keep a count of our own.
        if (Volatile.Read(ref _count) < MaxTopics && _names.TryAdd(topic, name))
        {
            Interlocked.Increment(ref _count);
        }

        return name;
    }
}
