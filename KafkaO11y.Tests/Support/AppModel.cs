using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using KafkaO11y.AppHost.Kafka.Topics;
using KafkaO11y.Contracts;

namespace KafkaO11y.Tests.Support;

/// <summary>What the model tests of both modes read from a built AppHost model, and assert alike.</summary>
public static class AppModel
{
    /// <summary>
    /// Both services wait for Kafka and for the topics step to finish (not merely to start), and
    /// that step waits for Kafka and makes the messages topic and its dead-letter topic.
    /// </summary>
    public static void AssertServicesStartAfterTheTopics(DistributedApplicationModel model, IResource kafka)
    {
        var topics = Assert.IsType<KafkaTopicsResource>(model.Resources.Single(r => r.Name == "kafka-topics"));
        Assert.Contains(topics.Topics, t => t is { Name: MessageTopics.Messages, Partitions: MessageTopics.MessagesPartitions });
        Assert.Contains(topics.Topics, t => t.Name == MessageTopics.DeadLetterOf(MessageTopics.Messages) && t.Partitions == MessageTopics.DeadLetterPartitions);
        Assert.Contains(topics.Annotations.OfType<WaitAnnotation>(), w => w.Resource == kafka && w.WaitType == WaitType.WaitUntilHealthy);

        foreach (var name in new[] { "producer", "consumer" })
        {
            var service = Assert.IsType<ProjectResource>(model.Resources.Single(r => r.Name == name));
            Assert.Contains(service.Annotations.OfType<WaitAnnotation>(), w => w.Resource == kafka);
            Assert.Contains(service.Annotations.OfType<WaitAnnotation>(), w => w.Resource == topics && w.WaitType == WaitType.WaitForCompletion && w.ExitCode == 0);
            Assert.NotEmpty(service.Annotations.OfType<HealthCheckAnnotation>());
        }
    }

    /// <summary>The resources the user sees: Aspire adds a hidden "{project}-rebuilder" per project, left out here.</summary>
    public static IEnumerable<string> ResourceNames(DistributedApplicationModel model) =>
        model.Resources.Select(r => r.Name).Where(name => !name.EndsWith("-rebuilder", StringComparison.Ordinal)).Order();

    /// <summary>A container's arguments, references shown by name as in <see cref="Environment"/>.</summary>
    public static async Task<string[]> Arguments(DistributedApplicationModel model, string resource)
    {
#pragma warning disable CS0618
        return await ((IResourceWithArgs)model.Resources.Single(r => r.Name == resource))
            .GetArgumentValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
    }

    /// <summary>
    /// A resource's environment as manifest expressions: each reference shows by name (such as
    /// <c>{otel-collector.bindings.grpc.url}</c>), which is what these tests assert. The newer
    /// <see cref="RunModeModel"/> resolves values as DCP does at run time instead.
    /// </summary>
    public static async Task<Dictionary<string, string>> Environment(DistributedApplicationModel model, string resource)
    {
#pragma warning disable CS0618
        return await ((IResourceWithEnvironment)model.Resources.Single(r => r.Name == resource))
            .GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
    }
}
