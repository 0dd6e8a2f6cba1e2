using System.Diagnostics;
using Confluent.Kafka;
using KafkaO11y.Kafka;
using OpenTelemetry;
using OpenTelemetry.Trace;

// Sends one message to the topic "orders", processes it, and prints each span as it ends.
var builder = Host.CreateApplicationBuilder(args);
builder.AddInstrumentedKafkaProducer<string, string>("kafka");
builder.AddInstrumentedKafkaConsumer<string, string>("kafka");
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new SpanLines())));
builder.Services.AddHostedService<SendAndProcessOnce>();
await builder.Build().RunAsync();

sealed partial class SendAndProcessOnce(
    IProducer<string, string> producer, IConsumer<string, string> consumer, IHostApplicationLifetime lifetime, ILogger<SendAndProcessOnce> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await producer.ProduceAsync("orders", new Message<string, string> { Key = "order-1", Value = "{\"total\":42}" }, stoppingToken);

        consumer.Subscribe("orders");
        var consumed = await Task.Run(() => consumer.Consume(stoppingToken), stoppingToken);
        await consumer.ProcessAsync(consumed, (message, _) =>
        {
            LogProcessed(logger, message.Message.Key, message.Offset.Value);
            return Task.CompletedTask;
        }, stoppingToken);
        consumer.StoreOffset(consumed);
        consumer.Close();
        lifetime.StopApplication();
    }

    [LoggerMessage(LogLevel.Information, "Processed order {Key} at offset {Offset}")]
    private static partial void LogProcessed(ILogger logger, string key, long offset);
}

/// <summary>One line per span: name, kind, trace id, span id, parent span id.</summary>
sealed class SpanLines : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var span in batch)
        {
            Console.WriteLine($"span|{span.DisplayName}|{span.Kind}|{span.TraceId}|{span.SpanId}|{span.ParentSpanId}");
        }

        return ExportResult.Success;
    }
}
