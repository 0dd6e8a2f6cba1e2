using KafkaO11y.EmbeddedKafka;

namespace KafkaO11y.AppHost.Kafka.Topics;

/// <summary>
/// The app's topics, made ready once Kafka is: a one-off step that ends <c>Finished</c> when every
/// topic exists with its partitions, or <c>FailedToStart</c> with the reason in its log. The
/// services wait for it to finish, so none of them starts against a missing topic.
/// </summary>
public sealed class KafkaTopicsResource(string name, IReadOnlyList<KafkaTopic> topics) : Resource(name), IResourceWithWaitSupport
{
    public IReadOnlyList<KafkaTopic> Topics { get; } = topics;
}
