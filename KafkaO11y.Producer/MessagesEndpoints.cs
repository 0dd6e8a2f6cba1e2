using Confluent.Kafka;

namespace KafkaO11y.Producer;

/// <summary>The body of <c>POST /messages</c>.</summary>
/// <param name="Payload">The message content: required, at most <see cref="MessagesEndpoints.MaxPayloadLength"/> characters.</param>
/// <param name="Key">Optional Kafka key (messages with one key keep their order); the message id when absent.</param>
public sealed record PublishRequest(string? Payload, string? Key);

public static class MessagesEndpoints
{
    /// <summary>Far below Kafka's 1 MiB message limit, so a valid request never fails at the broker for its size.</summary>
    public const int MaxPayloadLength = 64 * 1024;

    public const int MaxKeyLength = 256;

    public static IEndpointRouteBuilder MapMessagesEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/messages", PublishAsync)
            .WithName("PublishMessage")
            .WithSummary("Publishes one message and answers once Kafka acknowledged it.");
        return app;
    }

    private static async Task<IResult> PublishAsync(PublishRequest? request, MessagePublisher publisher, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            var published = await publisher.PublishAsync(request!.Payload!, request.Key, cancellationToken);
            return TypedResults.Accepted((string?)null, published);
        }
        catch (ProduceException<string, byte[]> e)
        {
            // Kafka did not take the message: say so rather than pretend it was sent.
            return TypedResults.Problem(
                title: "Kafka did not acknowledge the message",
                detail: $"{e.Error.Code}: {e.Error.Reason}",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static Dictionary<string, string[]> Validate(PublishRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null)
        {
            errors["body"] = ["A JSON body { \"payload\": \"...\" } is required."];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.Payload))
        {
            errors["payload"] = ["The payload is required and must not be blank."];
        }
        else if (request.Payload.Length > MaxPayloadLength)
        {
            errors["payload"] = [$"The payload has {request.Payload.Length} characters; at most {MaxPayloadLength} are allowed."];
        }

        if (request.Key is { Length: 0 or > MaxKeyLength })
        {
            errors["key"] = [$"The key, when given, must have 1 to {MaxKeyLength} characters."];
        }

        return errors;
    }
}
