using System.Net.Http.Json;

namespace KafkaO11y.AppHost;

/// <summary>
/// Failure and load scenarios on the services, as Aspire dashboard commands calling the services'
/// own HTTP endpoints, each with its undo. They work the same in every mode.
/// </summary>
public static class ServiceCommands
{
    public static IResourceBuilder<ProjectResource> WithProducerCommands(this IResourceBuilder<ProjectResource> producer) =>
        producer
            .WithJsonCommand("start-load", "Start a load burst", HttpMethod.Post, "/load",
                arguments =>
                new
                {
                    messagesPerSecond = Number(arguments, "messagesPerSecond", 1_000),
                    count = Number(arguments, "count", 10_000),
                },
                "Sends count messages at a rate, then returns to the steady rate. Undo: Stop the load burst.", "TopSpeed",
                NumberInput("messagesPerSecond", "Messages per second", "1000"), NumberInput("count", "Messages", "10000"))
            .WithJsonCommand("stop-load", "Stop the load burst", HttpMethod.Delete, "/load", body: null, "Back to the steady rate.", "Stop")
            .WithJsonCommand("send-poison", "Send poison messages", HttpMethod.Post, "/poison",
                arguments => new { count = Number(arguments, "count", 8) },
                "Malformed messages (not JSON, missing fields, no value, oversized): watch them go to the dead-letter topic.", "Warning",
                NumberInput("count", "Messages", "8"))
            .WithJsonCommand("send-duplicates", "Send messages twice", HttpMethod.Post, "/duplicates",
                arguments => new { count = Number(arguments, "count", 5) },
                "Each message twice, same id, as a producer retrying a lost acknowledgement would: watch the Consumer count and skip the second copies.", "DocumentCopy",
                NumberInput("count", "Messages", "5"))
            .WithJsonCommand("pause-generator", "Pause the generator", HttpMethod.Post, "/generator/pause", body: null, "Stops the steady messages. Undo: Resume the generator.", "Pause")
            .WithJsonCommand("resume-generator", "Resume the generator", HttpMethod.Post, "/generator/resume", body: null, "Restarts the steady messages.", "Play");

    public static IResourceBuilder<ProjectResource> WithConsumerCommands(this IResourceBuilder<ProjectResource> consumer) =>
        consumer
            .WithJsonCommand("slow-down", "Slow processing down", HttpMethod.Put, "/processing",
                arguments => new { delayMilliseconds = Number(arguments, "delayMilliseconds", 500) },
                "Makes each message take longer: lag builds up. Undo: Restore processing speed.", "Timer",
                NumberInput("delayMilliseconds", "Milliseconds per message", "500"))
            .WithJsonCommand("restore-speed", "Restore processing speed", HttpMethod.Put, "/processing",
                _ => new { delayMilliseconds = 20 }, "Back to 20 ms per message.", "TimerOff")
            .WithJsonCommand("fail-fraction", "Make messages fail", HttpMethod.Put, "/processing",
                arguments => new { failureRate = Number(arguments, "failureRate", 0.2) },
                "A fraction of processing attempts fail: error spans, retries, and dead letters for those failing every attempt. Undo: Stop failures.", "ErrorCircle",
                NumberInput("failureRate", "Fraction failing (0 to 1)", "0.2"))
            .WithJsonCommand("stop-failures", "Stop failures", HttpMethod.Put, "/processing",
                _ => new { failureRate = 0.0 }, "Every attempt succeeds again.", "CheckmarkCircle");

    private static IResourceBuilder<ProjectResource> WithJsonCommand(
        this IResourceBuilder<ProjectResource> service, string name, string displayName, HttpMethod method, string path,
        Func<InteractionInputCollection, object>? body, string description, string icon, params InteractionInput[] arguments) =>
        service.WithHttpCommand(path, displayName, endpointName: "http", commandName: name, commandOptions: new HttpCommandOptions
        {
            Method = method,
            Description = description,
            IconName = icon,
            Arguments = arguments,
            PrepareRequest = context =>
            {
                if (body is not null)
                {
                    context.Request.Content = JsonContent.Create(body(context.Arguments));
                }

                return Task.CompletedTask;
            },
        });

    private static InteractionInput NumberInput(string name, string label, string value) =>
        new() { Name = name, Label = label, InputType = InputType.Number, Required = true, Value = value };

    // The dashboard asks for the arguments; a caller without them (a test, the CLI) gets the defaults.
    private static double Number(InteractionInputCollection arguments, string name, double defaultValue) =>
        arguments.TryGetByName(name, out var input)
            && double.TryParse(input.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : defaultValue;
}
