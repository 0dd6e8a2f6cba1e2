using Microsoft.Extensions.Options;

namespace KafkaO11y.Consumer;

/// <summary>What <c>GET /processing</c> shows and <c>PUT /processing</c> changes.</summary>
/// <param name="DelayMilliseconds">Simulated work per message.</param>
/// <param name="FailureRate">Fraction of processing attempts that fail (0 to 1), to watch retries and dead letters.</param>
public sealed record ProcessingSettings(int DelayMilliseconds, double FailureRate);

/// <summary>The body of <c>PUT /processing</c>: what to change; an absent field stays as it is.</summary>
public sealed record ProcessingUpdate(int? DelayMilliseconds, double? FailureRate);

/// <summary>A processing failure injected on purpose (<see cref="ProcessingSettings.FailureRate"/>); retried like any other.</summary>
public sealed class SimulatedProcessingException(string message) : Exception(message);

/// <summary>The processing speed and failure rate, changeable at runtime (dashboard commands, HTTP).</summary>
public sealed class ProcessingControl(IOptions<ProcessingOptions> options)
{
    // Updates come from HTTP requests and dashboard commands at once: each must start from the
    // settings the previous one left, or one would undo the other. The worker only reads.
    private readonly Lock _updating = new();
    private volatile ProcessingSettings _settings = new(options.Value.DelayMilliseconds, FailureRate: 0);

    public ProcessingSettings Settings => _settings;

    public ProcessingSettings Update(ProcessingUpdate update)
    {
        lock (_updating)
        {
            var current = _settings;
            return _settings = new ProcessingSettings(
                update.DelayMilliseconds ?? current.DelayMilliseconds, update.FailureRate ?? current.FailureRate);
        }
    }
}

public static class ProcessingEndpoints
{
    public static IEndpointRouteBuilder MapProcessingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/processing", (ProcessingControl control) => control.Settings)
            .WithSummary("The simulated work per message and the injected failure rate.");
        app.MapPut("/processing", Update)
            .WithSummary("Slows processing down (lag spike) or makes a fraction of messages fail.");
        return app;
    }

    private static IResult Update(ProcessingUpdate? update, ProcessingControl control)
    {
        var errors = new Dictionary<string, string[]>();
        if (update is null)
        {
            errors["body"] = ["A JSON body { \"delayMilliseconds\": 20, \"failureRate\": 0 } is required."];
        }
        else
        {
            if (update.DelayMilliseconds is < 0 or > ProcessingOptions.MaxDelayMilliseconds)
            {
                errors["delayMilliseconds"] = [$"The delay must be between 0 and {ProcessingOptions.MaxDelayMilliseconds} ms."];
            }

            if (update.FailureRate is { } rate && !(rate >= 0 && rate <= 1))
            {
                errors["failureRate"] = ["The failure rate must be between 0 and 1."];
            }
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(control.Update(update!));
    }
}
