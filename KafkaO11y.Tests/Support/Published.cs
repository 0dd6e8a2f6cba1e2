namespace KafkaO11y.Tests.Support;

/// <summary>What the Producer answers for a message it published (as its JSON reads; the Consumer's answers are its own types).</summary>
public sealed record Published(Guid Id, long Sequence, string Topic, int Partition, long Offset);
