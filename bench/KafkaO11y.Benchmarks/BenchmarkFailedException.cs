namespace KafkaO11y.Benchmarks;

/// <summary>A measurement that must not be reported: the message says what went wrong.</summary>
internal sealed class BenchmarkFailedException(string message) : Exception(message);
