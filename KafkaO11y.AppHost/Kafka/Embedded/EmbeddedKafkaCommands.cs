using KafkaO11y.EmbeddedKafka;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.AppHost.Kafka.Embedded;

/// <summary>
/// Failure scenarios on the embedded Kafka, as Aspire dashboard commands, each with its undo:
/// a broker down and back, network latency, and Kafka errors answered to produce or fetch requests.
/// </summary>
public static class EmbeddedKafkaCommands
{
    public const string BrokerDown = "broker-down";
    public const string BrokerUp = "broker-up";
    public const string AddLatency = "add-latency";
    public const string RemoveLatency = "remove-latency";
    public const string FailRequests = "fail-requests";
    public const string ClearRequestErrors = "clear-request-errors";

    /// <summary>The <c>topic</c> argument of <see cref="FailRequests"/> that means every topic.</summary>
    public const string EveryTopic = "*";

    // Each one is a call into the mock cluster's thread.
    private const int MaxPerTopicErrors = 10_000;

    /// <param name="kafka">The embedded Kafka.</param>
    /// <param name="topics">The topics a request failure can be aimed at.</param>
    public static IResourceBuilder<EmbeddedKafkaResource> WithFailureCommands(this IResourceBuilder<EmbeddedKafkaResource> kafka, IReadOnlyList<KafkaTopic> topics)
    {
        var resource = kafka.Resource;
        // Undo commands stay enabled: undoing what is not in effect does nothing.

        InteractionInput BrokerArgument() => CommandArguments.Number("broker", "Broker id", "1", $"1 to {resource.Brokers}");

        kafka.WithCommand(BrokerDown, "Take a broker down", context => RunAsync(resource, context, cluster =>
        {
            var broker = Broker(context, resource);
            cluster.SetBrokerDown(broker);

            return $"Broker {broker} is down: it closes its connections and refuses new ones.";
        }), new CommandOptions
        {
            Description = "Stops a broker answering, as a crash or network partition would. Undo: Bring a broker back.",
            IconName = "PlugDisconnected",
            Arguments = [BrokerArgument()],
        });

        kafka.WithCommand(BrokerUp, "Bring a broker back", context => RunAsync(resource, context, cluster =>
        {
            var broker = Broker(context, resource);
            cluster.SetBrokerUp(broker);

            return $"Broker {broker} is up again.";
        }), new CommandOptions
        {
            Description = "Lets a broker taken down answer again.",
            IconName = "PlugConnected",
            Arguments = [BrokerArgument()],
        });

        kafka.WithCommand(AddLatency, "Add network latency", context => RunAsync(resource, context, cluster =>
        {
            var latency = TimeSpan.FromMilliseconds(Math.Clamp(context.Arguments.WholeNumberOf("milliseconds", 500), 1, 10_000));
            cluster.SetRoundTripTime(latency);
            return $"Every broker now answers {latency.TotalMilliseconds} ms late.";
        }), new CommandOptions
        {
            Description = "Delays every request and response of every broker. Undo: Remove network latency.",
            IconName = "Timer",
            Arguments =
            [
                CommandArguments.Number("milliseconds", "Latency (ms)", "500"),
            ],
        });

        kafka.WithCommand(RemoveLatency, "Remove network latency", context => RunAsync(resource, context, cluster =>
        {
            cluster.SetRoundTripTime(TimeSpan.Zero);
            return "The brokers answer without added latency.";
        }), new CommandOptions
        {
            IconName = "TimerOff",
        });

        kafka.WithCommand(FailRequests, "Fail requests with a Kafka error", context => RunAsync(resource, context, cluster =>
        {
            var request = Enum.Parse<KafkaRequest>(context.Arguments.TextOf("request", nameof(KafkaRequest.Produce)));
            var error = Enum.Parse<KafkaErrorCode>(context.Arguments.TextOf("error", nameof(KafkaErrorCode.NotEnoughReplicas)));
            var count = Math.Clamp(context.Arguments.WholeNumberOf("count", 20), 1, 100_000);
            var topic = context.Arguments.TextOf("topic", EveryTopic);
            if (topic == EveryTopic)
            {
                cluster.FailRequests(request, error, count);
                return $"The next {count} {request} requests get {error}.";
            }

            cluster.FailRequests(topic, request, error, Math.Min(count, MaxPerTopicErrors));
            return $"The next {Math.Min(count, MaxPerTopicErrors)} {request} requests for each partition of {topic} get {error}; other topics work on.";
        }), new CommandOptions
        {
            // Each failed produce request is retried after ~100 ms: 20 errors cost about 2 s, which the
            // producer rides out; some hundreds outlast its 10 s delivery timeout and the API answers 503.
            // One topic only, e.g. the dead-letter topic failing while the source topic works: such
            // errors cannot be cleared, they run out after `count` requests per partition.
            Description = "Answers the next requests of a kind (for every topic, or for one) with a Kafka error; clients retry retriable ones. Undo: Clear request errors (every topic), or let them run out (one topic).",
            IconName = "ErrorCircle",
            Arguments =
            [
                CommandArguments.Choice<KafkaRequest>("request", "Request", nameof(KafkaRequest.Produce)),
                CommandArguments.Choice<KafkaErrorCode>("error", "Kafka error", nameof(KafkaErrorCode.NotEnoughReplicas)),
                CommandArguments.Number("count", "How many requests", "20"),
                CommandArguments.Choice("topic", "Topic", EveryTopic,
                    [new(EveryTopic, "Every topic"), .. topics.Select(t => new KeyValuePair<string, string>(t.Name, t.Name))]),
            ],
        });

        kafka.WithCommand(ClearRequestErrors, "Clear request errors", context => RunAsync(resource, context, cluster =>
        {
            foreach (var request in Enum.GetValues<KafkaRequest>())
            {
                cluster.ClearRequestErrors(request);
            }

            return "No more injected request errors.";
        }), new CommandOptions { IconName = "CheckmarkCircle" });

        return kafka;
    }

    private static async Task<ExecuteCommandResult> RunAsync(
        EmbeddedKafkaResource resource, ExecuteCommandContext context, Func<EmbeddedKafkaCluster, string> action)
    {
        if (!resource.Cluster.IsCompletedSuccessfully)
        {
            return CommandResults.Failure("The embedded Kafka is not running.");
        }

        try
        {
            var message = action(await resource.Cluster);
            context.Logger.LogWarning("{Action}", message);
            return CommandResults.Success(message);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            return CommandResults.Failure(e.Message);
        }
    }

    private static int Broker(ExecuteCommandContext context, EmbeddedKafkaResource resource)
    {
        var broker = context.Arguments.WholeNumberOf("broker", 1);
        return broker >= 1 && broker <= resource.Brokers
            ? broker
            : throw new ArgumentException($"There is no broker {broker}; the brokers are 1 to {resource.Brokers}.");
    }
}
