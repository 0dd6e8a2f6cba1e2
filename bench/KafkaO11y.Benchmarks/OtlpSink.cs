using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaO11y.Benchmarks;

/// <summary>
/// The least an OTLP/HTTP receiver can be: it accepts <c>POST [/{service}]/v1/traces</c>,
/// <c>/v1/metrics</c> and <c>/v1/logs</c>, answers 200 with an empty <c>application/x-protobuf</c>
/// body (an empty Export*ServiceResponse: everything accepted), and counts requests and bytes per
/// service and signal. It decodes nothing, so the services' exporters do all their work (batching,
/// protobuf serialisation, HTTP) while the receiving end costs next to nothing.
/// </summary>
/// <remarks>
/// Each service gets its own endpoint, <c>{sink}/{service}</c>: with <c>http/protobuf</c> the .NET
/// OTLP exporter appends <c>/v1/traces</c> etc. to OTEL_EXPORTER_OTLP_ENDPOINT's path.
/// </remarks>
internal sealed class OtlpSink : IAsyncDisposable
{
    public static readonly string[] Signals = ["traces", "metrics", "logs"];

    private readonly ConcurrentDictionary<(string Service, string Signal), Counts> _counts = new();
    private WebApplication? _app;

    /// <summary><c>http://127.0.0.1:{port}</c></summary>
    public string Address { get; private set; } = "";

    public static async Task<OtlpSink> StartAsync()
    {
        var sink = new OtlpSink();
        // The empty builder reads no configuration: nothing of this machine's environment (ASPNETCORE_URLS...) applies.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        sink._app = builder.Build();
        sink._app.Run(sink.ReceiveAsync);
        await sink._app.StartAsync();
        sink.Address = sink._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The OTLP sink has no address.");
        return sink;
    }

    /// <summary>What arrived since the last <see cref="Reset"/>, by service and signal.</summary>
    public IReadOnlyDictionary<(string Service, string Signal), (long Requests, long Bytes)> Received =>
        _counts.ToDictionary(entry => entry.Key, entry => (entry.Value.Requests, entry.Value.Bytes));

    public void Reset() => _counts.Clear();

    private async Task ReceiveAsync(HttpContext context)
    {
        // "/{service}/v1/{signal}" or "/v1/{signal}"
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var signal = segments.Length >= 2 && segments[^2] == "v1" && Signals.Contains(segments[^1]) ? segments[^1] : null;
        if (!HttpMethods.IsPost(context.Request.Method) || signal is null || segments.Length > 3)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var service = segments.Length == 3 ? segments[0] : "(none)";
        var buffer = new byte[16 * 1024];
        long bytes = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            bytes += read;
        }

        _counts.GetOrAdd((service, signal), _ => new Counts()).Add(bytes);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.ContentLength = 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class Counts
    {
        private long _requests;
        private long _bytes;

        public long Requests => Interlocked.Read(ref _requests);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(long bytes)
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _bytes, bytes);
        }
    }
}
