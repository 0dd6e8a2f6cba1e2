using Confluent.Kafka;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaO11y.Producer;

/// <summary>The body of <c>POST /poison</c> and <c>POST /duplicates</c>.</summary>
/// <param name="Count">How many malformed messages to send (kinds in turn: not JSON, missing fields, no value, oversized), or messages to send twice.</param>
public sealed record PoisonRequest(int? Count);

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
        app.MapPost("/poison", PublishPoisonAsync)
            .WithSummary("Publishes malformed messages, to watch the Consumer dead-letter them and carry on.");
        app.MapPost("/duplicates", PublishDuplicatesAsync)
            .WithSummary("Publishes messages twice each (same id), as a retrying producer can, to watch the Consumer count and skip the second copies.");
        return app;
    }

    public const int MaxPoisonCount = 1_000;

    private static Task<IResult> PublishPoisonAsync(PoisonRequest? request, MessagePublisher publisher, CancellationToken cancellationToken) =>
        PublishManyAsync(request, async i => [await publisher.PublishPoisonAsync(i, cancellationToken)]);

    private static Task<IResult> PublishDuplicatesAsync(PoisonRequest? request, MessagePublisher publisher, CancellationToken cancellationToken) =>
        PublishManyAsync(request, i => publisher.PublishTwiceAsync($"duplicate {i + 1} of {request!.Count}", cancellationToken));

    /// <summary>Publishes <c>count</c> times, in order; a count out of range is a 400 naming the field.</summary>
    private static async Task<IResult> PublishManyAsync(PoisonRequest? request, Func<int, Task<IReadOnlyList<PublishedMessage>>> publish)
    {
        if (request?.Count is not { } count || count < 1 || count > MaxPoisonCount)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["count"] = [$"The count is required, between 1 and {MaxPoisonCount}."],
            });
        }

        try
        {
            var sent = new List<PublishedMessage>(count);
            for (var i = 0; i < count; i++)
            {
                sent.AddRange(await publish(i));
            }

            return TypedResults.Ok(sent);
        }
        catch (ProduceException<string, byte[]> e)
        {
            return KafkaUnavailable(e);
        }
    }

    private static ProblemHttpResult KafkaUnavailable(ProduceException<string, byte[]> e) =>
        // Kafka did not take the message: say so rather than pretend it was sent.
        TypedResults.Problem(
            title: "Kafka did not acknowledge the message",
            detail: $"{e.Error.Code}: {e.Error.Reason}",
            statusCode: StatusCodes.Status503ServiceUnavailable);

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
            return KafkaUnavailable(e);
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
