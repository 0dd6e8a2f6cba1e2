using Confluent.Kafka;
using KafkaO11y.Consumer;
using KafkaO11y.ServiceDefaults.Kafka;
using KafkaO11y.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddKafkaConsumer<string, byte[]>("kafka");
// Writes the messages that cannot be processed to the dead-letter topic.
builder.AddKafkaProducer<string, byte[]>("kafka");
builder.Services.AddSingleton<KafkaDeadLetterPublisher>();
builder.AddMessagingOptions();
builder.Services.AddOptions<ProcessingOptions>().BindConfiguration(ProcessingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<ProcessingStats>();
builder.Services.AddSingleton<ProcessingControl>();
builder.Services.AddSingleton<MessageProcessor>();
builder.Services.AddHostedService<ConsumerWorker>();

var app = builder.Build();

app.UseDefaultErrorHandling();

app.MapGet("/stats", (ProcessingStats stats, IConsumer<string, byte[]> consumer) => stats.Snapshot(consumer.MemberId))
    .WithSummary("How many messages this consumer processed, and the last offset processed per partition.");
app.MapProcessingEndpoints();
app.MapDefaultEndpoints();

app.Run();
