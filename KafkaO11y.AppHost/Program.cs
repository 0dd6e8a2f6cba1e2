using KafkaO11y.AppHost;
using KafkaO11y.AppHost.EmbeddedKafka;

var builder = DistributedApplication.CreateBuilder(args);
var settings = KafkaO11ySettings.From(builder.Configuration);

// Kafka: in Embedded mode, librdkafka's mock cluster inside this process.
var kafka = builder.AddEmbeddedKafka("kafka", settings.Brokers, KafkaO11ySettings.Topics);

// Producer -> Kafka -> Consumer. Every service sends its traces, metrics and logs over OTLP to
// the endpoint Aspire gives it (the Aspire dashboard).
builder.AddProject<Projects.KafkaO11y_Producer>("producer")
    .WithKafka(kafka);

builder.AddProject<Projects.KafkaO11y_Consumer>("consumer")
    .WithKafka(kafka)
    .WithReplicas(settings.ConsumerReplicas);

builder.Build().Run();
