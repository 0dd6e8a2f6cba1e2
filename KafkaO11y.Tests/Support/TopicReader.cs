using Confluent.Kafka;

namespace KafkaO11y.Tests.Support;

/// <summary>Reads a topic from its start with a consumer group of its own, as someone checking what landed there would.</summary>
internal static class TopicReader
{
    /// <summary>
    /// The messages of <paramref name="topic"/>: fails unless <paramref name="expected"/> arrive within
    /// <paramref name="timeout"/>; then keeps reading for <paramref name="thenWatch"/>, so that a caller
    /// asserting an exact count also sees a copy that arrives late.
    /// </summary>
    public static List<ConsumeResult<string, byte[]>> Read(
        string bootstrapServers, string topic, int expected, TimeSpan timeout, TimeSpan thenWatch = default)
    {
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"{topic}-reader",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        reader.Subscribe(topic);
        var messages = new List<ConsumeResult<string, byte[]>>();
        ReadUntil(DateTime.UtcNow + timeout, () => messages.Count >= expected);
        Assert.True(messages.Count >= expected, $"{messages.Count} of {expected} messages arrived in {topic} within {timeout.TotalSeconds} s");
        ReadUntil(DateTime.UtcNow + thenWatch, () => false);
        reader.Close();
        return messages;

        void ReadUntil(DateTime deadline, Func<bool> enough)
        {
            while (!enough() && DateTime.UtcNow < deadline)
            {
                if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { } message)
                {
                    messages.Add(message);
                }
            }
        }
    }
}
