namespace KafkaO11y.AppHost.Grafana;

/// <summary>A resource's link to the Grafana dashboard that shows it (checked against the provisioned dashboards by the tests).</summary>
/// <param name="DashboardUid">The provisioned dashboard's uid.</param>
/// <param name="Query">Variables to preselect, such as <c>var-service=producer</c>; empty for none.</param>
public sealed record GrafanaDashboardLinkAnnotation(string DashboardUid, string Query) : IResourceAnnotation;

public static class GrafanaLinks
{
    /// <summary>Shows a link on the resource, in the Aspire dashboard, to its Grafana dashboard.</summary>
    public static IResourceBuilder<T> WithGrafanaDashboard<T>(
        this IResourceBuilder<T> resource, IResourceBuilder<GrafanaResource> grafana, string dashboardUid, string displayText, string query = "")
        where T : IResource
    {
        var path = string.IsNullOrEmpty(query) ? $"/d/{dashboardUid}" : $"/d/{dashboardUid}?{query}";
        return resource
            .WithAnnotation(new GrafanaDashboardLinkAnnotation(dashboardUid, query))
            .WithUrl(ReferenceExpression.Create($"{grafana.GetEndpoint(GrafanaResource.HttpEndpointName)}{path}"), displayText);
    }
}
