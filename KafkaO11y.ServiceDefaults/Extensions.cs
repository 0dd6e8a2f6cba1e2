using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every KafkaO11y service shares: OpenTelemetry for all three signals, health checks,
/// service discovery and resilient HTTP clients. Each service calls <see cref="AddServiceDefaults"/>
/// once, so all of them are instrumented the same way.
/// </summary>
public static class ServiceDefaultsExtensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = DescribeBadRequest);
        // A body the framework cannot read throws in every environment (by default only in Development),
        // so that the error handler answers it with a problem that says what is wrong.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// A request the framework rejected says why: for a body that is not valid JSON, or holds a value
    /// of the wrong type, where (System.Text.Json's message names the path, line and byte).
    /// </summary>
    private static void DescribeBadRequest(ProblemDetailsContext context)
    {
        if (context.Exception is BadHttpRequestException badRequest)
        {
            context.ProblemDetails.Detail = badRequest.InnerException is JsonException json
                ? $"The request body could not be read: {json.Message}"
                : badRequest.Message;
        }
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Console logs carry the trace and span ids too, so a line in a terminal can be found in a trace.
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var scraping = PrometheusScrapingOptions.From(builder.Configuration);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusScraping(scraping))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation(aspNetCore =>
                    // Health probes and scrapes every few seconds would bury the message traces.
                    aspNetCore.Filter = context => !IsProbeOrScrape(context.Request.Path))
                .AddHttpClientInstrumentation());

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath)
        || path.StartsWithSegments(PrometheusScrapingOptions.EndpointPath);

    private static void AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Aspire sets OTEL_EXPORTER_OTLP_ENDPOINT for every resource: the dashboard in Embedded mode.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Every error answers with a problem details body, never an empty or HTML one. A request the
    /// framework rejects (malformed JSON, wrong content type) keeps its 4xx status: in Development
    /// ASP.NET Core throws for those, which would otherwise surface as a 500.
    /// </summary>
    public static WebApplication UseDefaultErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = error => error is BadHttpRequestException badRequest
                ? badRequest.StatusCode
                : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready: every check, Kafka's included) and <c>/alive</c> (the process answers).
    /// They are mapped in every environment: the services listen on localhost only and Aspire's
    /// health checks and WaitFor depend on them. Maps <c>/metrics</c> when Prometheus scraping is on.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(PrometheusScrapingOptions.From(app.Configuration));
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains("live"),
        });
        return app;
    }
}
