using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace KafkaO11y.Tests.Support;

/// <summary>An alert as Prometheus (<c>/api/v1/alerts</c>) or Alertmanager (<c>/api/v2/alerts</c>) lists it.</summary>
public sealed record ListedAlert(string Name, string State, IReadOnlyDictionary<string, string> Labels);

/// <summary>The parts of Prometheus's HTTP API the tests read.</summary>
public sealed class PrometheusApi(HttpClient http)
{
    /// <summary>Series a range query returns, as Grafana asks for a panel's data.</summary>
    public async Task<int> RangeSeriesAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step)
    {
        var data = await GetDataAsync("/api/v1/query_range",
            ("query", query), ("start", Unix(start)), ("end", Unix(end)), ("step", Seconds(step)));
        return data.GetProperty("result").GetArrayLength();
    }

    /// <summary>Every metric name Prometheus held between <paramref name="start"/> and <paramref name="end"/>.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync(DateTimeOffset start, DateTimeOffset end) =>
        await LabelValuesAsync("__name__", start, end);

    /// <summary>The values of a label, on the series <paramref name="match"/> selects when given (Grafana's label_values).</summary>
    public async Task<IReadOnlySet<string>> LabelValuesAsync(string label, DateTimeOffset start, DateTimeOffset end, string? match = null)
    {
        List<(string, string)> parameters = [("start", Unix(start)), ("end", Unix(end))];
        if (match is not null)
        {
            parameters.Add(("match[]", match));
        }

        var data = await GetDataAsync($"/api/v1/label/{label}/values", [.. parameters]);
        return data.EnumerateArray().Select(v => v.GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The label sets of the series <paramref name="match"/> selects.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> SeriesAsync(string match, DateTimeOffset start, DateTimeOffset end)
    {
        var data = await GetDataAsync("/api/v1/series", ("match[]", match), ("start", Unix(start)), ("end", Unix(end)));
        return [.. data.EnumerateArray().Select(Labels)];
    }

    /// <summary>Pending and firing alerts.</summary>
    public async Task<IReadOnlyList<ListedAlert>> AlertsAsync()
    {
        var data = await GetDataAsync("/api/v1/alerts");
        return [.. data.GetProperty("alerts").EnumerateArray().Select(a =>
        {
            var labels = Labels(a.GetProperty("labels"));
            return new ListedAlert(labels["alertname"], a.GetProperty("state").GetString()!, labels);
        })];
    }

    /// <summary>Every rule as Prometheus loaded it: its group, name and query.</summary>
    public async Task<IReadOnlyList<(string Group, string Name, string Query)>> RulesAsync()
    {
        var data = await GetDataAsync("/api/v1/rules");
        return [.. data.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()
            .Select(r => (g.GetProperty("name").GetString()!, r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!)))];
    }

    /// <summary>The scrape targets: labels and health (<c>up</c>, <c>down</c>, <c>unknown</c>).</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Health)>> TargetsAsync()
    {
        var data = await GetDataAsync("/api/v1/targets", ("state", "active"));
        return [.. data.GetProperty("activeTargets").EnumerateArray()
            .Select(t => (Labels(t.GetProperty("labels")), t.GetProperty("health").GetString()!))];
    }

    private async Task<JsonElement> GetDataAsync(string path, params (string Name, string Value)[] parameters)
    {
        var query = string.Join('&', parameters.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
        using var response = await http.GetAsync(query.Length == 0 ? path : $"{path}?{query}");
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Prometheus answered {(int)response.StatusCode} to {path}?{query}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").Clone();
    }

    private static Dictionary<string, string> Labels(JsonElement labels) =>
        labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    private static string Unix(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Alertmanager's alerts (<c>/api/v2/alerts</c>): what it holds to notify about.</summary>
public sealed class AlertmanagerApi(HttpClient http)
{
    public async Task<IReadOnlyList<ListedAlert>> AlertsAsync()
    {
        var alerts = await http.GetFromJsonAsync<JsonElement>("/api/v2/alerts");
        return [.. alerts.EnumerateArray().Select(a =>
        {
            var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            return new ListedAlert(labels["alertname"], a.GetProperty("status").GetProperty("state").GetString()!, labels);
        })];
    }
}
