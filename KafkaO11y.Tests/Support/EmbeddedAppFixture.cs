using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using KafkaO11y.AppHost;
using KafkaO11y.AppHost.Kafka.Embedded;
using KafkaO11y.Consumer;
using KafkaO11y.Tests.Containers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// The whole application as <c>dotnet run --project KafkaO11y.AppHost</c> starts it in Embedded
/// mode, with the Aspire dashboard on (anonymous, so its telemetry API needs no key), once for all
/// the end-to-end tests.
/// </summary>
public class EmbeddedAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public DistributedApplication App { get; private set; } = null!;

    public DashboardTelemetry Dashboard { get; private set; } = null!;

    private HttpClient? _dashboardClient;

    /// <summary>More AppHost arguments, for a variant of the application (two Consumer replicas, say).</summary>
    protected virtual string[] ExtraArguments => [];

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        // No mode given: Auto, which on a machine without a container runtime (like CI) is Embedded.
        // Where a runtime answers, Auto would start containers, so these Embedded tests ask for it.
        string[] args = ContainersHere.Problem() is null
            ? ["--KafkaO11y:Mode=Embedded", "--ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true", .. ExtraArguments]
            : ["--ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true", .. ExtraArguments];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaO11y_AppHost>(
            args, (options, _) => options.DisableDashboard = false, timeout.Token);

        App = await builder.BuildAsync(timeout.Token);
        Assert.IsType<EmbeddedKafkaResource>(App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "kafka"));
        await App.StartAsync(timeout.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("producer", timeout.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("consumer", timeout.Token);

        _dashboardClient = new HttpClient { BaseAddress = App.GetEndpoint("aspire-dashboard", "http") };
        Dashboard = new DashboardTelemetry(_dashboardClient);
    }

    public HttpClient CreateHttpClient(string service) => App.CreateHttpClient(service, "http");

    /// <summary>
    /// Posts one message to the Producer and waits until the Consumer's <c>/stats</c> shows it
    /// processed; returns where Kafka put it and its send span, as the dashboard has it.
    /// </summary>
    public async Task<(Published Message, DashboardSpan Send)> PostAndAwaitProcessingAsync(string payload, TimeSpan timeout)
    {
        using var producer = CreateHttpClient("producer");
        using var consumer = CreateHttpClient("consumer");
        using var response = await producer.PostAsJsonAsync("/messages", new { payload });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var published = (await response.Content.ReadFromJsonAsync<Published>())!;
        await Poll.UntilAsync(
            () => consumer.GetFromJsonAsync<ProcessingSnapshot>("/stats")!,
            stats => stats!.Partitions.Any(p => p.Topic == published.Topic && p.Partition == published.Partition && p.LastOffset >= published.Offset),
            timeout, "the Consumer's /stats to show the message processed");

        // The send span of this message, found by where Kafka put it.
        var producerSpans = await Poll.UntilAsync(
            () => Dashboard.GetSpansAsync("producer"),
            spans => spans.Any(s => published.IsSentBy(s)),
            timeout, "the Producer's send span in the dashboard");
        return (published, producerSpans.Single(s => published.IsSentBy(s)));
    }

    public async Task DisposeAsync()
    {
        _dashboardClient?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedAppCollection : ICollectionFixture<EmbeddedAppFixture>
{
    public const string Name = "Embedded application";
}
