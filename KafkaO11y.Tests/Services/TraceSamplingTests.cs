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

    /// <summary>
    /// At a ratio, a trace is kept whole or not at all: a span whose parent came from another
    /// service (a Kafka message's traceparent) follows the parent's sampled flag, whatever the
    /// ratio; only a new trace is decided by the ratio.
    /// </summary>
    [Fact]
    public async Task At_a_ratio_a_span_follows_its_remote_parents_decision_and_only_new_traces_are_drawn()
    {
        const int Traces = 400;
        var service = $"sampling-{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = service });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0.5",
        });
        builder.AddServiceDefaults();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using var source = new ActivitySource(service);
            var disagreed = new List<string>();
            var newTracesRecorded = 0;
            for (var i = 0; i < Traces; i++)
            {
                var flags = i % 2 == 0 ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
                var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags, isRemote: true);
                using (var child = source.StartActivity("process", ActivityKind.Consumer, parent))
                {
                    if ((child?.Recorded ?? false) != (flags == ActivityTraceFlags.Recorded))
                    {
                        disagreed.Add($"{parent.TraceId} parent {flags}, child recorded {child?.Recorded ?? false}");
                    }
                }

                using var root = source.StartActivity("a new trace", ActivityKind.Server, parentContext: default);
                newTracesRecorded += root?.Recorded == true ? 1 : 0;
            }

            Assert.Empty(disagreed);
            // 400 draws at 0.5: outside 35 % to 65 % is more than six standard deviations away.
            Assert.InRange(newTracesRecorded, Traces * 35 / 100, Traces * 65 / 100);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
