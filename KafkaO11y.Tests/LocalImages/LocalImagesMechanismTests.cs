using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.Tests.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.LocalImages;

/// <summary>
/// Mechanism checks with local images (<see cref="LocalImagesStack"/>): the Containers topology as DCP
/// runs it on this machine's engine, each upstream image replaced by a stand-in built here. They show
/// what DCP does with what the AppHost gives each container; what the real programs do with it only
/// the real images can show (the Containers smoke suite, where they can be pulled).
/// </summary>
[Collection(LocalImagesCollection.Name)]
public sealed class LocalImagesMechanismTests(LocalImagesStack stack)
{
    [Fact]
    public void Local_images_every_file_the_AppHost_gives_a_container_is_read_by_the_user_its_image_runs_as()
    {
        var problems = new List<string>();
        foreach (var (container, standIn) in stack.StandIns)
        {
            var console = stack.Console(container);
            var user = standIn.User is { } u ? $"{u.Id}:{u.Group}" : "0:0";
            if (!console.Any(l => l.Contains($"USER {user}", StringComparison.Ordinal)))
            {
                problems.Add($"{container} did not run as {user}: {string.Join(" | ", console.Take(3))}");
            }

            problems.AddRange(standIn.Files.Where(file => !console.Any(l => l.Contains($"READ {file}", StringComparison.Ordinal)))
                .Select(file => $"{container} ({user}) could not read {file}"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The components that read configuration got some (the Kafka brokers and Kafka UI get none).
        Assert.All(new[] { "otel-collector", "prometheus", "tempo", "loki", "grafana", "kafka-1-jmx" },
            container => Assert.NotEmpty(stack.StandIns[container].Files));
    }

    [Fact]
    public void Local_images_every_address_a_container_is_told_answers_from_inside_the_containers_network()
    {
        var problems = new List<string>();
        foreach (var (container, standIn) in stack.StandIns)
        {
            var console = stack.Console(container);
            problems.AddRange(standIn.Dial.Where(address => !console.Any(l => l.Contains($"REACHED {address} ", StringComparison.Ordinal)))
                .Select(address => $"{container} did not reach {address}: {console.LastOrDefault(l => l.Contains(address, StringComparison.Ordinal)) ?? "no line"}"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // By the resource name and by name.dev.internal, the brokers' voters and JMX, the collector's exports, the scrape targets.
        var dialled = stack.StandIns.Values.SelectMany(s => s.Dial).ToHashSet();
        Assert.Contains("kafka-2:9094", dialled);
        Assert.Contains("kafka-2.dev.internal:9094", dialled);
        Assert.Contains("kafka-3:9999", dialled);
        Assert.Contains("tempo:4317", dialled);
        Assert.Contains("alertmanager:9093", dialled);
        Assert.Contains("$OTEL_EXPORTER_OTLP_ENDPOINT", stack.StandIns["otel-collector"].Dial);
    }

    [Fact]
    public async Task Local_images_the_collectors_export_reaches_the_dashboards_OTLP_endpoint_through_Aspires_tunnel_with_its_key()
    {
        // HTTP 200 from the dashboard's gRPC endpoint, through the tunnel, with the key the collector is given.
        Assert.Contains(stack.Console("otel-collector"), line => line.EndsWith("OTLP 200", StringComparison.Ordinal));
        var configuration = stack.App.Services.GetRequiredService<IConfiguration>();
        using var dashboard = new HttpClient { BaseAddress = stack.App.GetEndpoint("aspire-dashboard", "http") };
        dashboard.DefaultRequestHeaders.Add("x-api-key", configuration["AppHost:DashboardApiKey"]);
        var telemetry = new DashboardTelemetry(dashboard);

        var spans = await Poll.UntilAsync(
            () => telemetry.GetTraceAsync(stack.OtlpTraceId),
            found => found.Count > 0,
            TimeSpan.FromSeconds(30), "the span the collector's stand-in sent to appear on the dashboard");
        Assert.Equal(LocalImagesStack.OtlpService, Assert.Single(spans).Service);
    }

    [Fact]
    public async Task Local_images_Alertmanager_0_33_1_answers_with_the_projects_config_and_no_cluster()
    {
        using var alertmanager = stack.App.CreateHttpClient("alertmanager", "http");
        var answer = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return (JsonElement?)await alertmanager.GetFromJsonAsync<JsonElement>("/api/v2/status");
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            status => status is not null, TimeSpan.FromSeconds(60), "Alertmanager's API to answer");
        var status = answer!.Value;

        Assert.Equal("0.33.1", status.GetProperty("versionInfo").GetProperty("version").GetString());
        // --cluster.listen-address= turns gossip off: a single Alertmanager reports its cluster "disabled".
        Assert.Equal("disabled", status.GetProperty("cluster").GetProperty("status").GetString());
        // The configuration it loaded is the project's (its route's receiver), with the webhook file it was given.
        var project = Yaml.Load(Repository.PathOf("observability/alertmanager/alertmanager.yml"));
        var loaded = Yaml.Parse(status.GetProperty("config").GetProperty("original").GetString()!);
        Assert.Equal(project.Map("route")["receiver"], loaded.Map("route")["receiver"]);
        Assert.Contains("/etc/alertmanager/webhook-url", status.GetProperty("config").GetProperty("original").GetString());
    }

    [Fact]
    public async Task Local_images_every_port_is_published_on_this_machines_loopback_only()
    {
        var notifications = stack.App.Services.GetRequiredService<ResourceNotificationService>();
        var bindings = new List<string>();
        foreach (var container in stack.StandIns.Keys.Append("alertmanager"))
        {
            Assert.True(notifications.TryGetCurrentState(container, out var state), $"{container} has no state");
            var id = state.Snapshot.Properties.Single(p => p.Name == "container.id").Value?.ToString();
            Assert.False(string.IsNullOrEmpty(id), $"{container} has no container id");
            var inspect = await ChildProcess.RunAsync("docker", ["inspect", "--format", "{{json .HostConfig.PortBindings}}", id!]);
            Assert.Equal(0, inspect.ExitCode);
            foreach (var port in JsonDocument.Parse(inspect.Output).RootElement.EnumerateObject())
            {
                bindings.AddRange(port.Value.EnumerateArray().Select(b => $"{container} {port.Name} -> {b.GetProperty("HostIp").GetString()}:{b.GetProperty("HostPort").GetString()}"));
            }
        }

        Assert.NotEmpty(bindings);
        Assert.All(bindings, binding => Assert.Contains(" -> 127.0.0.1:", binding));
    }
}
