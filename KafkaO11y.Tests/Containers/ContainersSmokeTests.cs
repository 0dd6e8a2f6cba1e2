using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.Contracts;
using KafkaO11y.Tests.Observability;

namespace KafkaO11y.Tests.Containers;

/// <summary>
/// The Containers mode smoke suite: each backend asked, through its own API, for what the user
/// will look for in Grafana. It needs Docker or Podman; without one every test is skipped with the
/// reason (the only skip CI allows, see .ci/run).
/// </summary>
[Collection(ContainersAppCollection.Name)]
[Trait("Category", ContainersAppFixture.Category)]
public sealed class ContainersSmokeTests(ContainersAppFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private const string Topic = MessageTopics.Messages;

    [SkippableFact]
    public void Every_resource_runs_and_is_healthy()
    {
        SkipWithoutRuntime();
        var unhealthy = new List<string>();
        foreach (var resource in fixture.Model.Resources.Where(ContainersAppFixture.Runs))
        {
            if (!fixture.App.ResourceNotifications.TryGetCurrentState(resource.Name, out var state)
                || state.Snapshot.State?.Text != KnownResourceStates.Running
                || state.Snapshot.HealthStatus is not Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                unhealthy.Add($"{resource.Name}: {state?.Snapshot.State?.Text ?? "no state"}, {state?.Snapshot.HealthStatus?.ToString() ?? "no health"}");
            }
        }

        Assert.True(unhealthy.Count == 0, "Not running and healthy:\n" + string.Join("\n", unhealthy));
        // The JMX exporter image was built from observability/jmx-exporter (its jar's checksum held) and serves.
        Assert.Contains(fixture.Model.Resources, r => r.Name.EndsWith("-jmx", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_topics_step_made_each_topic_with_its_partitions_and_the_brokers_create_no_other()
    {
        SkipWithoutRuntime();
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("kafka-topics", out var step));
        Assert.Equal(KnownResourceStates.Finished, step.Snapshot.State?.Text);

        var bootstrap = await fixture.App.GetConnectionStringAsync("kafka");
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics;
        Assert.Equal(MessageTopics.MessagesPartitions, topics.Single(t => t.Topic == Topic).Partitions.Count);
        Assert.Equal(MessageTopics.DeadLetterPartitions, topics.Single(t => t.Topic == MessageTopics.DeadLetterOf(Topic)).Partitions.Count);

        // A misspelt topic is an error for the client, not a new topic.
        using var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, string>(
            // librdkafka fails a send to a topic the cluster does not know once this delay has passed.
            new Confluent.Kafka.ProducerConfig { BootstrapServers = bootstrap, TopicMetadataPropagationMaxMs = 1000, MessageTimeoutMs = 10_000 }).Build();
        var misspelt = await Assert.ThrowsAsync<Confluent.Kafka.ProduceException<Confluent.Kafka.Null, string>>(
            () => producer.ProduceAsync("mesages", new Confluent.Kafka.Message<Confluent.Kafka.Null, string> { Value = "?" }));
        Assert.Contains(misspelt.Error.Code, new[] { Confluent.Kafka.ErrorCode.Local_UnknownTopic, Confluent.Kafka.ErrorCode.UnknownTopicOrPart });
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == "mesages");
    }

    [SkippableFact]
    public async Task A_messages_trace_is_in_Tempo_with_the_spans_of_both_services()
    {
        SkipWithoutRuntime();
        var traceId = await PostMessageAsync("containers smoke: trace");
        using var tempo = fixture.CreateHttpClient("tempo");

        // Tempo's search API first (what Grafana's search uses), then the whole trace by id.
        var (start, end) = (DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds());
        await Poll.UntilAsync(
            async () => await tempo.GetFromJsonAsync<JsonElement>($"/api/search?tags={Uri.EscapeDataString("service.name=consumer")}&start={start}&end={end}&limit=500"),
            found => found.GetProperty("traces").EnumerateArray().Any(t => SameTraceId(t.GetProperty("traceID").GetString(), traceId)),
            Timeout, "Tempo's search to find the message's trace among the Consumer's");

        var services = await Poll.UntilAsync(
            async () => ServiceNames(await tempo.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}")),
            names => names.Contains("producer") && names.Contains("consumer"),
            Timeout, "Tempo's trace to hold spans of both the Producer and the Consumer");
        Assert.Superset(new HashSet<string> { "producer", "consumer" }, services);
    }

    [SkippableFact]
    public async Task The_messages_log_lines_are_in_Loki_with_its_trace_id()
    {
        SkipWithoutRuntime();
        var traceId = await PostMessageAsync("containers smoke: logs");
        using var loki = fixture.CreateHttpClient("loki");
        var query = Uri.EscapeDataString($"{{service_name=~\"producer|consumer\"}} | trace_id=\"{traceId}\"");
        var start = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds() * 1_000_000;

        var services = await Poll.UntilAsync(
            async () =>
            {
                var found = await loki.GetFromJsonAsync<JsonElement>($"/loki/api/v1/query_range?query={query}&start={start}&limit=100");
                return found.GetProperty("data").GetProperty("result").EnumerateArray()
                    .Select(stream => stream.GetProperty("stream").GetProperty("service_name").GetString()!)
                    .ToHashSet();
            },
            names => names.Contains("producer") && names.Contains("consumer"),
            Timeout, "Loki to hold log lines of both services carrying the message's trace_id");
        Assert.Superset(new HashSet<string> { "producer", "consumer" }, services);
    }

    [SkippableTheory]
    [InlineData("messaging_client_sent_messages_total", "the Producer's instruments, over OTLP through the collector")]
    [InlineData("messaging_client_consumed_messages_total", "the Consumer's instruments, over OTLP through the collector")]
    [InlineData("kafka_server_brokertopicmetrics_messagesin_total", "the broker's MBeans, through the JMX exporter")]
    [InlineData("kafka_controller_kafkacontroller_activecontrollercount", "the KRaft controller's MBeans, through the JMX exporter")]
    [InlineData("kafka_consumer_group_lag_ratio", "consumer group lag, from the collector's kafka_metrics receiver")]
    [InlineData("traces_spanmetrics_calls_total", "Tempo's metrics generator, remote-written")]
    public async Task Prometheus_holds_the_series(string metric, string from)
    {
        SkipWithoutRuntime();
        await PostMessageAsync($"containers smoke: {metric}");
        using var prometheus = fixture.CreateHttpClient("prometheus");
        await Poll.UntilAsync(
            async () => await prometheus.GetFromJsonAsync<JsonElement>($"/api/v1/query?query={Uri.EscapeDataString(metric)}"),
            found => found.GetProperty("data").GetProperty("result").GetArrayLength() > 0,
            Timeout, $"Prometheus to hold {metric} ({from})");
    }

    [SkippableFact]
    public async Task Grafanas_datasources_answer_their_health_checks_and_every_dashboard_loads()
    {
        SkipWithoutRuntime();
        // As the anonymous Viewer a visitor is (GF_AUTH_ANONYMOUS_ORG_ROLE): Viewers may query datasources
        // and read dashboards, and the admin password a kept Grafana volume holds may be an older one.
        using var grafana = fixture.CreateHttpClient("grafana");

        var datasources = Yaml.Load(Path.Combine(Repository.Observability, "grafana", "provisioning", "datasources", "datasources.yaml"));
        var uids = ((List<object?>)datasources["datasources"]!).Cast<Dictionary<object, object?>>().Select(d => d["uid"]!.ToString()!).ToList();
        Assert.NotEmpty(uids);
        foreach (var uid in uids)
        {
            using var health = await grafana.GetAsync($"/api/datasources/uid/{uid}/health");
            var body = await health.Content.ReadAsStringAsync();
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"Grafana's health check of datasource {uid}: {(int)health.StatusCode} {body}");
            Assert.Contains("\"OK\"", body, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository.Observability, "grafana", "dashboards"), "*.json"))
        {
            var uid = JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("uid").GetString();
            using var dashboard = await grafana.GetAsync($"/api/dashboards/uid/{uid}");
            Assert.True(dashboard.StatusCode == HttpStatusCode.OK, $"Grafana did not load {Path.GetFileName(file)} (uid {uid}): {(int)dashboard.StatusCode}");
        }
    }

    [SkippableFact]
    public async Task Alertmanager_answers_and_Prometheus_sends_to_it()
    {
        SkipWithoutRuntime();
        using var alertmanager = fixture.CreateHttpClient("alertmanager");
        var status = await alertmanager.GetFromJsonAsync<JsonElement>("/api/v2/status");
        // One Alertmanager, gossip off (--cluster.listen-address=): v0.33.1 reports its cluster "disabled"
        // (the local-images mechanism check runs the same version and shows it).
        Assert.Equal("disabled", status.GetProperty("cluster").GetProperty("status").GetString());

        using var prometheus = fixture.CreateHttpClient("prometheus");
        await Poll.UntilAsync(
            async () => await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/alertmanagers"),
            found => found.GetProperty("data").GetProperty("activeAlertmanagers").GetArrayLength() > 0,
            Timeout, "Prometheus to list the Alertmanager as active");
    }

    private void SkipWithoutRuntime() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    /// <summary>Posts a message inside a trace of our own (W3C traceparent), so its trace id is known.</summary>
    private async Task<string> PostMessageAsync(string payload)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var producer = fixture.CreateHttpClient("producer");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/messages") { Content = JsonContent.Create(new { payload }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await producer.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var published = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Topic, published.GetProperty("topic").GetString());
        return traceId;
    }

    /// <summary>Tempo's search results drop a trace id's leading zeros.</summary>
    private static bool SameTraceId(string? found, string traceId) =>
        found is not null && found.TrimStart('0') == traceId.TrimStart('0');

    /// <summary>The service.name of every resource in a trace, whatever OTLP JSON shape Tempo answers with.</summary>
    private static HashSet<string> ServiceNames(JsonElement trace)
    {
        var names = new HashSet<string>();
        void Visit(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                if (element.TryGetProperty("key", out var key) && key.GetString() == "service.name"
                    && element.TryGetProperty("value", out var value) && value.TryGetProperty("stringValue", out var name))
                {
                    names.Add(name.GetString()!);
                }

                foreach (var property in element.EnumerateObject())
                {
                    Visit(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Visit(item);
                }
            }
        }

        Visit(trace);
        return names;
    }
}
