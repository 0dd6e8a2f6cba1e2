using KafkaO11y.Tests.Observability;
using Xunit.Abstractions;

namespace KafkaO11y.Tests.AppHost;

/// <summary>
/// Containers mode as DCP would start it, checked without a container: the model is built in Run
/// mode, every endpoint gets the addresses DCP gives it, every value is resolved with the resource
/// that receives it as the caller, and every address a resource is told must be one where something
/// listens, as seen from that resource's network (<see cref="Connections"/>).
/// </summary>
[Collection(AppHostBuildCollection.Name)]
public sealed class ContainersWiringTests(ITestOutputHelper output)
{
    // As under --no-launch-profile: the dashboard's OTLP ports are ones DCP picks (the AppHost's http
    // launch profile, which the testing builder applies, fixes them at 18889 and 18890).
    private static readonly string[] DashboardOtlpPortsPicked = ["--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=", "--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL="];

    [Theory]
    [InlineData("--KafkaO11y:Kafka:Brokers=1")]
    [InlineData("--KafkaO11y:Kafka:Brokers=3")]
    public async Task Every_address_a_resource_is_told_listens_there_from_its_network(string brokers)
    {
        await using var run = await RunModeModel.BuildAsync(["--KafkaO11y:Mode=Containers", brokers, .. DashboardOtlpPortsPicked]);
        var wiring = await Connections.OfAsync(run);

        AssertWired(wiring);
    }

    [Fact]
    public async Task An_external_cluster_with_SASL_is_dialled_alike_by_the_services_the_topics_step_and_the_collector()
    {
        await using var run = await RunModeModel.BuildAsync(
            [
            "--KafkaO11y:Mode=Containers", .. DashboardOtlpPortsPicked,
            "--ConnectionStrings:kafka=broker.example:9093,broker2.example:9093",
            "--KafkaO11y:Kafka:Client:SecurityProtocol=SaslSsl", "--KafkaO11y:Kafka:Client:SaslMechanism=ScramSha512",
            "--KafkaO11y:Kafka:Client:SaslUsername=kafka-o11y", "--Parameters:kafka-sasl-password=not-a-real-one",
            ]);
        var wiring = await Connections.OfAsync(run, "broker.example", "broker2.example");

        AssertWired(wiring);
        var external = wiring.Rows.Where(r => r.Address.StartsWith("broker", StringComparison.Ordinal)).ToList();
        foreach (var caller in new[] { "producer", "consumer", "kafka-topics (AppHost)", "otel-collector" })
        {
            Assert.Equal(["broker.example:9093", "broker2.example:9093"], external.Where(r => r.Caller == caller).Select(r => r.Address));
        }
    }

    [Fact]
    public async Task The_collector_exports_to_the_dashboards_OTLP_endpoint_through_the_container_tunnel_whatever_its_port()
    {
        // Under --no-launch-profile, and under the http launch profile (its fixed ports).
        foreach (var dashboardOtlp in new[] { DashboardOtlpPortsPicked, [] })
        {
            await using var run = await RunModeModel.BuildAsync(["--KafkaO11y:Mode=Containers", .. dashboardOtlp]);
            var wiring = await Connections.OfAsync(run);

            // The variable config.yaml's exporter to the dashboard reads.
            var config = (await run.FilesAsync(run.Resource("otel-collector"))).Single(f => f.Path == "/etc/otelcol-contrib/config.yaml");
            var endpoint = Yaml.Parse(config.Contents).Map("exporters").Map("otlp_grpc/aspire")["endpoint"]!.ToString()!;
            var variable = endpoint["${env:".Length..^1];
            var export = Assert.Single(wiring.Rows, r => r.Caller == "otel-collector" && r.Source == variable);
            Assert.Null(export.Problem);
            Assert.Equal(new Listener("aspire-dashboard", "otlp-grpc"), export.Reaches);
            Assert.StartsWith($"{RunModeModel.ContainerTunnelHost}:", export.Address);
            var environment = (await run.ResolveAsync(run.Resource("otel-collector"))).Environment;
            Assert.Equal("true", environment["ASPIRE_DASHBOARD_OTLP_INSECURE"]);
            Assert.False(string.IsNullOrEmpty(environment["ASPIRE_DASHBOARD_OTLP_API_KEY"]));
        }
    }

    [Fact]
    public async Task Host_clients_are_told_each_brokers_host_port_and_containers_its_name()
    {
        await using var run = await RunModeModel.BuildAsync(["--KafkaO11y:Mode=Containers", "--KafkaO11y:Kafka:Brokers=3", .. DashboardOtlpPortsPicked]);
        var wiring = await Connections.OfAsync(run);

        foreach (var broker in new[] { "kafka-1", "kafka-2", "kafka-3" })
        {
            var hostPort = wiring.Rows.Single(r => r.Caller == "producer" && r.Source == "ConnectionStrings__kafka" && r.Reaches?.Resource == broker).Address;
            Assert.StartsWith("localhost:", hostPort);
            Assert.NotEqual("localhost:9092", hostPort);
            // What the broker advertises to a host client is that same proxy port, and to a container its name.
            Assert.Contains(wiring.Rows, r => r.Caller == "producer" && r.Source == $"{broker}'s metadata (advertised PLAINTEXT_HOST)" && r.Address == hostPort);
            Assert.Contains(wiring.Rows, r => r.Caller == "otel-collector" && r.Source == $"{broker}'s metadata (advertised PLAINTEXT_INTERNAL)" && r.Address == $"{broker}:9093");
        }
    }

    private void AssertWired(Connections wiring)
    {
        output.WriteLine(wiring.ToMarkdown());
        Assert.NotEmpty(wiring.Rows);
        var problems = wiring.Problems.Select(p => $"{p.Caller}, {p.Source}: {p.Problem}").Distinct().ToList();
        Assert.True(problems.Count == 0, "Addresses where nothing listens:\n" + string.Join("\n", problems));
    }
}
