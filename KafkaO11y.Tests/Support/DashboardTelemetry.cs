using System.Net;
using System.Text.Json;

namespace KafkaO11y.Tests.Support;

/// <summary>A span as the Aspire dashboard's telemetry API returns it (OTLP JSON).</summary>
public sealed record DashboardSpan(
    string Service, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes)
{
    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public TimeSpan Duration => End - Start;

    /// <summary>The resource's service.instance.id: which replica.</summary>
    public string Instance { get; init; } = "";

    /// <summary>The span's events: name and attributes.</summary>
    public IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Attributes)> Events { get; init; } = [];

    /// <summary>The spans it links to: trace id and span id.</summary>
    public IReadOnlyList<(string TraceId, string SpanId)> Links { get; init; } = [];

    public const int ServerKind = 2;
    public const int ProducerKind = 4;
    public const int ConsumerKind = 5;
}

/// <summary>A structured log record as the Aspire dashboard's telemetry API returns it.</summary>
public sealed record DashboardLog(string Service, string? TraceId, string Body, IReadOnlyDictionary<string, string> Attributes);

/// <summary>Reads traces and logs from the Aspire dashboard's telemetry API (<c>/api/telemetry/...</c>).</summary>
public sealed class DashboardTelemetry(HttpClient dashboard)
{
    public Task<IReadOnlyList<DashboardSpan>> GetSpansAsync(string resource, int limit = 1000, bool errorsOnly = false) =>
        GetSpansAsync([resource], limit, errorsOnly);

    /// <summary>The spans of several resources, such as the replicas of one service (consumer-abc, consumer-def).</summary>
    public async Task<IReadOnlyList<DashboardSpan>> GetSpansAsync(IEnumerable<string> resources, int limit, bool errorsOnly = false)
    {
        using var response = await dashboard.GetAsync(
            $"/api/telemetry/spans?{string.Join('&', resources.Select(r => $"resource={Uri.EscapeDataString(r)}"))}&limit={limit}"
            + (errorsOnly ? "&hasError=true" : ""));
        // The dashboard answers 404 for a resource it has no telemetry from yet.
        return response.StatusCode == HttpStatusCode.NotFound ? [] : await ReadSpansAsync(response);
    }

    public async Task<IReadOnlyList<DashboardSpan>> GetTraceAsync(string traceId)
    {
        using var response = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}");
        return response.StatusCode == HttpStatusCode.NotFound ? [] : await ReadSpansAsync(response);
    }

    /// <summary>The log records of one trace that a resource wrote.</summary>
    public async Task<IReadOnlyList<DashboardLog>> GetLogsAsync(string resource, string traceId)
    {
        using var response = await dashboard.GetAsync($"/api/telemetry/logs?resource={resource}&traceId={traceId}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var logs = new List<DashboardLog>();
        foreach (var resourceLogs in document.RootElement.GetProperty("data").GetProperty("resourceLogs").EnumerateArray())
        {
            var service = Attributes(resourceLogs.GetProperty("resource")).GetValueOrDefault("service.name", "");
            foreach (var scopeLogs in resourceLogs.GetProperty("scopeLogs").EnumerateArray())
            {
                foreach (var record in scopeLogs.GetProperty("logRecords").EnumerateArray())
                {
                    var body = record.TryGetProperty("body", out var value) ? value.EnumerateObject().FirstOrDefault().Value.ToString() : "";
                    logs.Add(new DashboardLog(service, record.TryGetProperty("traceId", out var id) ? id.GetString() : null, body, Attributes(record)));
                }
            }
        }

        return logs;
    }

    private static async Task<IReadOnlyList<DashboardSpan>> ReadSpansAsync(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var spans = new List<DashboardSpan>();
        foreach (var resourceSpans in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var resource = Attributes(resourceSpans.GetProperty("resource"));
            var service = resource.GetValueOrDefault("service.name", "");
            var instance = resource.GetValueOrDefault("service.instance.id", "");
            foreach (var scopeSpans in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scopeSpans.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new DashboardSpan(
                        service,
                        span.GetProperty("traceId").GetString()!,
                        span.GetProperty("spanId").GetString()!,
                        span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null,
                        span.GetProperty("name").GetString()!,
                        span.GetProperty("kind").GetInt32(),
                        Attributes(span))
                    {
                        Instance = instance,
                        Start = Time(span, "startTimeUnixNano"),
                        End = Time(span, "endTimeUnixNano"),
                        Events = span.TryGetProperty("events", out var events)
                            ? [.. events.EnumerateArray().Select(e => (e.GetProperty("name").GetString()!, (IReadOnlyDictionary<string, string>)Attributes(e)))]
                            : [],
                        Links = span.TryGetProperty("links", out var links)
                            ? [.. links.EnumerateArray().Select(l => (l.GetProperty("traceId").GetString()!, l.GetProperty("spanId").GetString()!))]
                            : [],
                    });
                }
            }
        }

        return spans;
    }

    private static DateTimeOffset Time(JsonElement span, string property) =>
        DateTimeOffset.UnixEpoch.AddTicks(long.Parse(span.GetProperty(property).ToString(), System.Globalization.CultureInfo.InvariantCulture) / 100);

    private static Dictionary<string, string> Attributes(JsonElement owner)
    {
        var attributes = new Dictionary<string, string>();
        if (owner.TryGetProperty("attributes", out var list))
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                attributes[attribute.GetProperty("key").GetString()!] = value.EnumerateObject().FirstOrDefault().Value.ToString();
            }
        }

        return attributes;
    }
}
