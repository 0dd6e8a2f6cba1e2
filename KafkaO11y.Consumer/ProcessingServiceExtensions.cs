using KafkaO11y.Contracts;
using KafkaO11y.Kafka;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace KafkaO11y.Consumer;

public static class ProcessingServiceExtensions
{
    /// <summary>
    /// The Consumer's work: the group member that consumes, processes and dead-letters, with its
    /// settings, its figures, its metrics and its runtime control. Kafka clients are registered by the caller.
    /// </summary>
    public static IHostApplicationBuilder AddMessageProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ProcessingOptions>().BindConfiguration(ProcessingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<KafkaDeadLetterPublisher>();
        builder.Services.AddSingleton<ProcessingStats>();
        builder.Services.AddSingleton<ProcessingControl>();
        builder.Services.AddSingleton<MessageProcessor>();
        builder.Services.AddHostedService<ConsumerWorker>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ConsumerTelemetry.MeterName));
        return builder;
    }
}
