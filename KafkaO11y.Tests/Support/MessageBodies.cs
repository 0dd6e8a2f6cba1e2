using System.Text.Json;
using KafkaO11y.Contracts;

namespace KafkaO11y.Tests.Support;

/// <summary>Message values as the Producer writes them, for tests that send to the Consumer's topic themselves.</summary>
public static class MessageBodies
{
    /// <summary>A well-formed message body with a new id.</summary>
    public static byte[] Valid(long sequence = 1) => JsonSerializer.SerializeToUtf8Bytes(
        new MessageBody(Guid.NewGuid(), sequence, DateTimeOffset.UtcNow, "test", "payload"), MessageJsonContext.Default.MessageBody);
}
