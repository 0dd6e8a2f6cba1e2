namespace KafkaO11y.Contracts;

/// <summary>Sizes the Producer and the Consumer agree on.</summary>
public static class MessageLimits
{
    /// <summary>
    /// The largest message value the Consumer processes; a larger one is dead-lettered unread. The
    /// Consumer may be set lower (<c>Processing:MaxMessageBytes</c>), never higher, so a message
    /// above it is poison for every Consumer.
    /// </summary>
    public const int MaxMessageBytes = 128 * 1024;
}
