using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The optional Prometheus scrape endpoint, <c>GET /metrics</c>, configured from the section
/// <c>PrometheusScraping</c>. Off by default: the services push their metrics over OTLP. Embedded
/// mode turns it on when it runs a local Prometheus, whose build may have no OTLP receiver.
/// </summary>
public sealed class PrometheusScrapingOptions
{
    public const string Section = "PrometheusScraping";

    public const string EndpointPath = "/metrics";

    public bool Enabled { get; set; }

    /// <summary>
    /// Resource attributes served as labels on every series (<c>service.name</c> becomes
    /// <c>service_name</c>): the AppHost passes the list of prometheus.yml's
    /// <c>otlp.promote_resource_attributes</c>, so scraped and pushed series carry the same labels.
    /// </summary>
    public List<string> ResourceAttributes { get; set; } = [];

    public static PrometheusScrapingOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<PrometheusScrapingOptions>() ?? new();
}

public static class PrometheusScrapingExtensions
{
    /// <summary>
    /// Serves the metrics as Prometheus's OTLP receiver would store them (translation strategy
    /// <c>UnderscoreEscapingWithSuffixes</c>, the one prometheus.yml sets): the dashboards and
    /// alert rules read the same names and labels either way.
    /// </summary>
    internal static MeterProviderBuilder AddPrometheusScraping(this MeterProviderBuilder metrics, PrometheusScrapingOptions scraping)
    {
        if (!scraping.Enabled)
        {
            return metrics;
        }

        var resourceAttributes = scraping.ResourceAttributes.ToHashSet(StringComparer.Ordinal);
        return metrics.AddPrometheusExporter(exporter =>
        {
            exporter.ScrapeEndpointPath = PrometheusScrapingOptions.EndpointPath;
            exporter.TranslationStrategy = PrometheusAspNetCoreTranslationStrategy.UnderscoreEscapingWithSuffixes;
            exporter.ResourceConstantLabels = resourceAttributes.Contains;
            // Prometheus's OTLP receiver adds no otel_scope_* labels unless promote_scope_metadata is set; ours is not.
            exporter.ScopeInfoEnabled = false;
        });
    }

    /// <summary>Maps <c>/metrics</c> when scraping is on.</summary>
    public static WebApplication MapPrometheusScrapingEndpoint(this WebApplication app, PrometheusScrapingOptions scraping)
    {
        if (scraping.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(PrometheusScrapingOptions.EndpointPath);
        }

        return app;
    }
}
