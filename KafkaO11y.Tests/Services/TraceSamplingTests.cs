using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace KafkaO11y.Tests.Services;

/// <summary>
/// The services sample traces as OpenTelemetry's standard settings say (<c>OTEL_TRACES_SAMPLER</c>,
/// <c>OTEL_TRACES_SAMPLER_ARG</c>, from the environment or any configuration source): every span by
/// default, as the demo wants; a parent-based ratio, say, in production.
/// </summary>
public sealed class TraceSamplingTests
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData("parentbased_traceidratio", "0", false)]
    [InlineData("parentbased_traceidratio", "1", true)]
    [InlineData("always_off", null, false)]
    public async Task A_service_records_a_new_trace_as_the_standard_sampler_settings_say(string? sampler, string? argument, bool recorded)
    {
        // A source name of its own, so that no other test's listener sees these activities.
        var service = $"sampling-{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = service });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_TRACES_SAMPLER"] = sampler,
            ["OTEL_TRACES_SAMPLER_ARG"] = argument,
        });
        builder.AddServiceDefaults();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            Assert.NotNull(host.Services.GetService<TracerProvider>());
            using var source = new ActivitySource(service);
            using var activity = source.StartActivity("a new trace");

            Assert.Equal(recorded, activity?.Recorded ?? false);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
