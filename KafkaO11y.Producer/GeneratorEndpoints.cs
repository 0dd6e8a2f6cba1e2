namespace KafkaO11y.Producer;

/// <summary>The body of <c>PUT /generator</c>: what to change; an absent field stays as it is.</summary>
public sealed record GeneratorUpdate(double? MessagesPerSecond, bool? Paused);

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
        return app;
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

        if (update.MessagesPerSecond is { } rate && !(rate >= 0.01 && rate <= GeneratorOptions.MaxMessagesPerSecond))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["messagesPerSecond"] = [$"The rate must be between 0.01 and {GeneratorOptions.MaxMessagesPerSecond} messages per second."],
            });
        }

        return TypedResults.Ok(control.Update(update.MessagesPerSecond, update.Paused));
    }
}
