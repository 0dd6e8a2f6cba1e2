using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using KafkaO11y.AppHost.Kafka.Embedded;
using KafkaO11y.AppHost.Kafka.Topics;
using KafkaO11y.EmbeddedKafka;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.AppHost;

/// <summary>
/// The topics step as Aspire runs it, in a small application of its own: the embedded Kafka, the
/// step, and a program that waits for it as the services do. (The whole AppHost's run, where the
/// step succeeds, is checked by EndToEndTests.)
/// </summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class KafkaTopicsStepTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task When_the_topics_cannot_be_made_the_step_fails_with_the_reason_in_its_log_and_what_waits_for_it_never_starts()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        // The AppHost's assembly only tells Aspire where its orchestrator is; none of its resources are added.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [],
            AssemblyName = typeof(EmbeddedKafkaResource).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        var kafka = builder.AddEmbeddedKafka("kafka", brokers: 1);
        // A topic without partitions: Kafka refuses it, as the step must say.
        var topics = builder.AddKafkaTopics("kafka-topics", kafka, [new KafkaTopic("orders", 3), new KafkaTopic("orders.dlq", 0)]);
        builder.AddExecutable("service", "sleep", ".", "60").WaitForCompletion(topics);
        await using var app = builder.Build();

        await app.StartAsync(timeout.Token);

        await app.ResourceNotifications.WaitForResourceAsync("kafka-topics", KnownResourceStates.FailedToStart, timeout.Token);
        await app.ResourceNotifications.WaitForResourceAsync("service", KnownResourceStates.FailedToStart, timeout.Token);
        await AssertLoggedAsync(app, "kafka-topics", "Topic 'orders.dlq' needs at least 1 partition, not 0", timeout.Token);
    }

    private static async Task AssertLoggedAsync(DistributedApplication app, string resource, string text, CancellationToken cancellationToken)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var seen = new List<string>();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(wait.Token))
            {
                seen.AddRange(batch.Select(line => line.Content));
                if (seen.Any(line => line.Contains(text, StringComparison.Ordinal)))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        Assert.Fail($"The {resource} resource's log has no \"{text}\"; it has:\n{string.Join('\n', seen)}");
    }
}
