namespace KafkaO11y.Contracts;

/// <summary>
/// Headers a dead letter carries beside the original message's own (key, value and headers kept):
/// where it came from and why it could not be processed. Values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaders
{
    public const string SourceTopic = "dlq.source.topic";
    public const string SourcePartition = "dlq.source.partition";
    public const string SourceOffset = "dlq.source.offset";

    /// <summary>The failed message's own <c>traceparent</c>; the letter's new one continues the same trace from the dead-letter send.</summary>
    public const string SourceTraceparent = "dlq.source.traceparent";

    /// <summary>The full name of the exception's type.</summary>
    public const string ErrorType = "dlq.error.type";

    public const string ErrorMessage = "dlq.error.message";
}
