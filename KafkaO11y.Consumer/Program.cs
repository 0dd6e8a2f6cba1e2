using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.Kafka;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInstrumentedKafkaConsumer<string, byte[]>("kafka");
// Writes the messages that cannot be processed to the dead-letter topic.
builder.AddInstrumentedKafkaProducer<string, byte[]>("kafka");
builder.AddMessageProcessing();

var app = builder.Build();

app.UseDefaultErrorHandling();

app.MapGet("/stats", (ProcessingStats stats, IConsumer<string, byte[]> consumer) => stats.Snapshot(consumer.MemberId))
    .WithSummary("How many messages this consumer processed, and the last offset processed per partition.");
app.MapProcessingEndpoints();
app.MapDefaultEndpoints();

app.Run();
