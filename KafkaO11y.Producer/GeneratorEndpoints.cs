namespace KafkaO11y.Producer;

/// <summary>The body of <c>PUT /generator</c>: what to change; an absent field stays as it is.</summary>
public sealed record GeneratorUpdate(double? MessagesPerSecond, bool? Paused);

/// <summary>The body of <c>POST /load</c>: a burst of <see cref="Count"/> messages at <see cref="MessagesPerSecond"/>.</summary>
public sealed record LoadBurstRequest(double? MessagesPerSecond, long? Count);

public static class GeneratorEndpoints
{
    public static IEndpointRouteBuilder MapGeneratorEndpoints(this IEndpointRouteBuilder app)
    {
        var generator = app.MapGroup("/generator");
        generator.MapGet("/", (GeneratorControl control) => control.State)
            .WithSummary("The generator's rate, whether it is paused, and how many messages it published.");
        generator.MapPut("/", Update)
            .WithSummary("Changes the rate (messages per second) and/or pauses or resumes the generator.");
        generator.MapPost("/pause", (GeneratorControl control) => control.Update(messagesPerSecond: null, paused: true));
        generator.MapPost("/resume", (GeneratorControl control) => control.Update(messagesPerSecond: null, paused: false));

        app.MapPost("/load", StartBurst)
            .WithSummary("Starts a load burst: count messages at a rate, then back to the steady rate.");
        app.MapDelete("/load", (GeneratorControl control) => control.StopBurst())
            .WithSummary("Stops the load burst in progress.");
        return app;
    }

    public const long MaxBurstCount = 1_000_000;

    private static IResult StartBurst(LoadBurstRequest? request, GeneratorControl control)
    {
        var errors = new Dictionary<string, string[]>();
        if (request?.MessagesPerSecond is not { } rate || !GeneratorOptions.IsValidRate(rate))
        {
            errors["messagesPerSecond"] = [$"The rate is required, between 0.01 and {GeneratorOptions.MaxMessagesPerSecond} messages per second."];
        }

        if (request?.Count is not { } count || count < 1 || count > MaxBurstCount)
        {
            errors["count"] = [$"The count is required, between 1 and {MaxBurstCount}."];
        }

        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(control.StartBurst(request!.MessagesPerSecond!.Value, request.Count!.Value));
    }

    private static IResult Update(GeneratorUpdate? update, GeneratorControl control)
    {
        if (update is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["body"] = ["A JSON body { \"messagesPerSecond\": 5, \"paused\": false } is required."],
            });
        }

        if (update.MessagesPerSecond is { } rate && !GeneratorOptions.IsValidRate(rate))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["messagesPerSecond"] = [$"The rate must be between 0.01 and {GeneratorOptions.MaxMessagesPerSecond} messages per second."],
            });
        }

        return TypedResults.Ok(control.Update(update.MessagesPerSecond, update.Paused));
    }
}
