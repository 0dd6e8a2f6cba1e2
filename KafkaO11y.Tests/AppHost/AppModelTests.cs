using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Aspire.Hosting;
using KafkaO11y.AppHost.Kafka.Containers;
using KafkaO11y.AppHost.Kafka.Embedded;
using KafkaO11y.AppHost.Kafka.Topics;
using KafkaO11y.AppHost.Kafka;
using KafkaO11y.AppHost.Prometheus;
using KafkaO11y.AppHost;
using KafkaO11y.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static KafkaO11y.Tests.Support.AppModel;

namespace KafkaO11y.Tests.AppHost;

/// <summary>The AppHost's model, built but not started, for the settings a user can give.</summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class AppModelTests(AppHostModels models)
{
    [Fact]
    public async Task Embedded_mode_gives_one_embedded_broker_with_the_topics_and_both_services_wired_to_it()
    {
        // As on a machine without Prometheus: nothing else.
        var model = await BuildModelAsync("--KafkaO11y:Mode=Embedded", "--KafkaO11y:Prometheus:Path=/no/such/prometheus");

        var kafka = Assert.IsType<EmbeddedKafkaResource>(model.Resources.Single(r => r.Name == "kafka"));
        Assert.Equal(1, kafka.Brokers);
        Assert.Equal(["consumer", "kafka", "kafka-topics", "producer"], ResourceNames(model));
        AssertServicesStartAfterTheTopics(model, kafka);
    }


    [SkippableFact]
    public async Task With_Prometheus_3_at_hand_Embedded_mode_runs_it_scraping_the_services_and_Alertmanager_showing_its_alerts()
    {
        var model = await BuildModelAsync("--KafkaO11y:Mode=Embedded");
        ExternalTool.Require(model.Resources.Any(r => r.Name == "prometheus") && model.Resources.Any(r => r.Name == "alertmanager"),
            "Embedded mode found no Prometheus 3 or no Alertmanager: bash .ci/fetch-prometheus.");

        Assert.Equal(["alertmanager", "alerts", "consumer", "kafka", "kafka-topics", "producer", "prometheus"], ResourceNames(model));
        var prometheus = Assert.IsType<PrometheusProgramResource>(model.Resources.Single(r => r.Name == "prometheus"));
        Assert.Contains(prometheus.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        foreach (var name in new[] { "producer", "consumer" })
        {
            var environment = await AppModel.Environment(model, name);
            Assert.Equal("true", environment["PrometheusScraping__Enabled"]);
            Assert.Equal("service.name", environment["PrometheusScraping__ResourceAttributes__0"]);
        }

        // Links on the Aspire dashboard: Prometheus (its pages, or its API where the build has no UI) and Alertmanager.
        Assert.Contains(prometheus.Annotations.OfType<ResourceUrlsCallbackAnnotation>(), _ => true);
        Assert.Contains(model.Resources.Single(r => r.Name == "alertmanager").Annotations.OfType<ResourceUrlsCallbackAnnotation>(), _ => true);
    }

    [Theory]
    [InlineData("Embedded")]
    [InlineData("Containers")]
    public async Task The_failure_scenarios_are_dashboard_commands_with_their_undo(string mode)
    {
        var model = await BuildModelAsync($"--KafkaO11y:Mode={mode}");

        string[] Commands(string resource) =>
            [.. model.Resources.Single(r => r.Name == resource).Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name)];
        Assert.Subset(Commands("producer").ToHashSet(), new HashSet<string> { "start-load", "stop-load", "send-poison", "pause-generator", "resume-generator" });
        Assert.Subset(Commands("consumer").ToHashSet(), new HashSet<string> { "slow-down", "restore-speed", "fail-fraction", "stop-failures" });
        if (mode == "Embedded")
        {
            Assert.Subset(Commands("kafka").ToHashSet(), new HashSet<string>
            {
                "broker-down", "broker-up", "add-latency", "remove-latency", "fail-requests", "clear-request-errors",
            });
        }

        // In Containers mode a broker goes down and back with Aspire's own stop and start of its container.
    }

    [Theory]
    [InlineData("Embedded")]
    [InlineData("Containers")]
    public async Task Every_endpoint_listens_on_localhost_only(string mode)
    {
        var model = await BuildModelAsync($"--KafkaO11y:Mode={mode}");

        var endpoints = model.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Select(e => (Resource: r.Name, Endpoint: e))).ToList();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.True(e.Endpoint.TargetHost is "localhost" or "127.0.0.1",
            $"{e.Resource}/{e.Endpoint.Name} listens on {e.Endpoint.TargetHost}."));
    }

    [Fact]
    public void No_secret_is_committed_in_a_settings_file()
    {
        var settings = Directory.EnumerateFiles(Repository.Root, "appsettings*.json", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(settings);
        foreach (var file in settings)
        {
            Assert.DoesNotMatch("(?i)\"[^\"]*(password|secret|apikey|api_key|token)[^\"]*\"\\s*:", File.ReadAllText(file));
        }
    }

    [Fact]
    public async Task Brokers_and_consumer_replicas_come_from_configuration()
    {
        var model = await BuildModelAsync("--KafkaO11y:Mode=Embedded", "--KafkaO11y:Kafka:Brokers=3", "--KafkaO11y:Consumer:Replicas=2");

        Assert.Equal(3, model.Resources.OfType<EmbeddedKafkaResource>().Single().Brokers);
        var consumer = model.Resources.Single(r => r.Name == "consumer");
        Assert.Equal(2, consumer.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
    }

    [Theory]
    [InlineData("--KafkaO11y:Mode=Kubernetes", "'Kubernetes' at 'KafkaO11y:Mode'")]
    [InlineData("--KafkaO11y:Kafka:Brokers=0", "KafkaO11y:Kafka:Brokers is '0'")]
    [InlineData("--KafkaO11y:Consumer:Replicas=many", "'many' at 'KafkaO11y:Consumer:Replicas'")]
    // A misspelt setting is refused, not ignored.
    [InlineData("--KafkaO11y:Kafka:Brokerz=3", "'Brokerz'")]
    public async Task Wrong_settings_stop_the_AppHost_with_a_message_that_names_them(string argument, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => BuildModelAsync("--KafkaO11y:Mode=Embedded", argument));
        Assert.Contains($"The {KafkaO11yOptions.Section} settings", error.ToString());
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public void Auto_mode_runs_containers_when_a_runtime_answers_and_says_why_it_falls_back_when_none_does()
    {
        var configuration = new ConfigurationBuilder().Build();

        var withRuntime = KafkaO11ySettings.From(configuration, containerRuntimeAnswers: () => null);
        Assert.Equal(KafkaMode.Containers, withRuntime.Mode);
        Assert.False(withRuntime.FellBackToEmbedded);

        var withoutRuntime = KafkaO11ySettings.From(configuration, containerRuntimeAnswers: () => "the container runtime 'docker' is not running");
        Assert.Equal(KafkaMode.Embedded, withoutRuntime.Mode);
        Assert.True(withoutRuntime.FellBackToEmbedded);
        Assert.Contains("'docker' is not running", withoutRuntime.ModeReason);

        // Asked for, not fallen back to: no warning that something is missing.
        var asked = KafkaO11ySettings.From(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KafkaO11y:Mode"] = "Embedded" }).Build(),
            containerRuntimeAnswers: () => throw new InvalidOperationException("Only Auto asks for a container runtime."));
        Assert.Equal(KafkaMode.Embedded, asked.Mode);
        Assert.False(asked.FellBackToEmbedded);

        // Containers asked for where it cannot run: it runs, and keeps what is missing to say at start.
        var containers = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KafkaO11y:Mode"] = "Containers" }).Build();
        var cannot = KafkaO11ySettings.From(containers, containerRuntimeAnswers: () => "docker 28.2 answers, but docker.io/apache/kafka:4.3.1 is not on this machine and cannot be pulled (no such host)");
        Assert.Equal(KafkaMode.Containers, cannot.Mode);
        Assert.Equal("docker 28.2 answers, but docker.io/apache/kafka:4.3.1 is not on this machine and cannot be pulled (no such host)", cannot.ContainersProblem);
        Assert.Null(KafkaO11ySettings.From(containers, containerRuntimeAnswers: () => null).ContainersProblem);
        Assert.Null(withoutRuntime.ContainersProblem);
    }

    private Task<DistributedApplicationModel> BuildModelAsync(params string[] args) => models.BuildAsync(args);

}

