using Confluent.Kafka;
using KafkaO11y.AppHost.Kafka.Topics;
using KafkaO11y.EmbeddedKafka;

namespace KafkaO11y.Tests.Kafka;

/// <summary>
/// The step that makes the app's topics before the services start, against the embedded cluster:
/// what it reads is the cluster's real metadata. The mock cluster cannot serve Kafka's CreateTopics
/// request, so creation there goes through its own API; the admin-API path is what the Containers
/// smoke suite runs against real brokers, and here only its failure report is exercised.
/// </summary>
public sealed class TopicProvisionerTests
{
    private static readonly KafkaTopic Orders = new("orders", 3);
    private static readonly KafkaTopic OrdersDeadLetters = new("orders.dlq", 2);

    [Fact]
    public async Task Missing_topics_are_created_with_their_partitions_and_a_second_run_finds_them_and_creates_nothing()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 3, [Orders]);
        using var admin = Admin(kafka);
        var created = new List<string>();

        var first = await new TopicProvisioner(admin, CreateIn(kafka, created)).EnsureAsync([Orders, OrdersDeadLetters], CancellationToken.None);

        Assert.Equal([new ProvisionedTopic("orders", 3, Created: false), new ProvisionedTopic("orders.dlq", 2, Created: true)], first);
        Assert.Equal(["orders.dlq"], created);
        Assert.Equal(2, admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == "orders.dlq").Partitions.Count);

        var second = await new TopicProvisioner(admin, CreateIn(kafka, created)).EnsureAsync([Orders, OrdersDeadLetters], CancellationToken.None);

        Assert.All(second, topic => Assert.False(topic.Created));
        Assert.Equal(["orders.dlq"], created);
        Assert.Equal("orders.dlq: exists with 2 partition(s)", second[1].ToString());
    }

    [Fact]
    public async Task A_topic_with_fewer_partitions_than_the_app_needs_is_refused_naming_both_counts_and_nothing_is_created()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [new KafkaTopic("orders", 1)]);
        using var admin = Admin(kafka);
        var created = new List<string>();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new TopicProvisioner(admin, CreateIn(kafka, created)).EnsureAsync([Orders, OrdersDeadLetters], CancellationToken.None));

        Assert.Contains("'orders' has 1, needs 3", refused.Message);
        Assert.Empty(created);
    }

    [Fact]
    public async Task A_created_topic_that_never_appears_in_the_metadata_is_a_timeout_naming_it()
    {
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [Orders]);
        using var admin = Admin(kafka);
        var provisioner = new TopicProvisioner(admin, (_, _) => Task.CompletedTask) { PropagationTimeout = TimeSpan.FromSeconds(1) };

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => provisioner.EnsureAsync([Orders, OrdersDeadLetters], CancellationToken.None));

        Assert.Contains("orders.dlq", timeout.Message);
        Assert.DoesNotContain("orders,", timeout.Message);
    }

    [Fact]
    public async Task When_Kafka_does_not_create_a_topic_the_admin_path_says_which_and_why()
    {
        // The mock cluster answers no CreateTopics request, as a broker without a reachable controller would not.
        using var kafka = EmbeddedKafkaCluster.Start(brokers: 1, [Orders]);
        using var admin = Admin(kafka);
        var provisioner = new TopicProvisioner(admin, TopicProvisioner.CreateThrough(admin, requestTimeout: TimeSpan.FromSeconds(2)));

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => provisioner.EnsureAsync([Orders, OrdersDeadLetters], CancellationToken.None));

        Assert.Equal("Kafka did not create the topics: 'orders.dlq': Failed while waiting for controller: Local: Timed out (Local_TimedOut)", failed.Message);
    }

    private static IAdminClient Admin(EmbeddedKafkaCluster kafka) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();

    private static Func<IReadOnlyList<KafkaTopic>, CancellationToken, Task> CreateIn(EmbeddedKafkaCluster kafka, List<string> created) =>
        (topics, _) =>
        {
            foreach (var topic in topics)
            {
                kafka.CreateTopic(topic);
                created.Add(topic.Name);
            }

            return Task.CompletedTask;
        };
}
