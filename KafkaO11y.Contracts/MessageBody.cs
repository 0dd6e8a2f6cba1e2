using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaO11y.Contracts;

/// <summary>
/// What the Producer writes to Kafka and the Consumer reads: a JSON document, UTF-8, as the value of
/// a message whose key is the <see cref="Id"/> (which spreads messages over partitions).
/// </summary>
/// <param name="Id">Unique per message.</param>
/// <param name="Sequence">Per producer instance, from 1, in the order messages were created.</param>
/// <param name="CreatedAt">When the producer created the message.</param>
/// <param name="Producer">Which producer instance made it.</param>
/// <param name="Payload">The content.</param>
public sealed record MessageBody(Guid Id, long Sequence, DateTimeOffset CreatedAt, string Producer, string Payload);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MessageBody))]
public sealed partial class MessageJsonContext : JsonSerializerContext;
