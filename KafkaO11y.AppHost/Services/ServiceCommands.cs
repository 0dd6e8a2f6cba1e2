using System.Net.Http.Json;

namespace KafkaO11y.AppHost.Services;

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
                    messagesPerSecond = arguments.NumberOf("messagesPerSecond", 1_000),
                    count = arguments.NumberOf("count", 10_000),
                },
                "Sends count messages at a rate, then returns to the steady rate. Undo: Stop the load burst.", "TopSpeed",
                CommandArguments.Number("messagesPerSecond", "Messages per second", "1000"), CommandArguments.Number("count", "Messages", "10000"))
            .WithJsonCommand("stop-load", "Stop the load burst", HttpMethod.Delete, "/load", body: null, "Back to the steady rate.", "Stop")
            .WithJsonCommand("send-poison", "Send poison messages", HttpMethod.Post, "/poison",
                arguments => new { count = arguments.NumberOf("count", 8) },
                "Malformed messages (not JSON, missing fields, no value, oversized): watch them go to the dead-letter topic.", "Warning",
                CommandArguments.Number("count", "Messages", "8"))
            .WithJsonCommand("send-duplicates", "Send messages twice", HttpMethod.Post, "/duplicates",
                arguments => new { count = arguments.NumberOf("count", 5) },
                "Each message twice, same id, as a producer retrying a lost acknowledgement would: watch the Consumer count and skip the second copies.", "DocumentCopy",
                CommandArguments.Number("count", "Messages", "5"))
            .WithJsonCommand("pause-generator", "Pause the generator", HttpMethod.Post, "/generator/pause", body: null, "Stops the steady messages. Undo: Resume the generator.", "Pause")
            .WithJsonCommand("resume-generator", "Resume the generator", HttpMethod.Post, "/generator/resume", body: null, "Restarts the steady messages.", "Play");

    public static IResourceBuilder<ProjectResource> WithConsumerCommands(this IResourceBuilder<ProjectResource> consumer) =>
        consumer
            .WithJsonCommand("slow-down", "Slow processing down", HttpMethod.Put, "/processing",
                arguments => new { delayMilliseconds = arguments.NumberOf("delayMilliseconds", 500) },
                "Makes each message take longer: lag builds up. Undo: Restore processing speed.", "Timer",
                CommandArguments.Number("delayMilliseconds", "Milliseconds per message", "500"))
            .WithJsonCommand("restore-speed", "Restore processing speed", HttpMethod.Put, "/processing",
                _ => new { delayMilliseconds = 20 }, "Back to 20 ms per message.", "TimerOff")
            .WithJsonCommand("fail-fraction", "Make messages fail", HttpMethod.Put, "/processing",
                arguments => new { failureRate = arguments.NumberOf("failureRate", 0.2) },
                "A fraction of processing attempts fail: error spans, retries, and dead letters for those failing every attempt. Undo: Stop failures.", "ErrorCircle",
                CommandArguments.Number("failureRate", "Fraction failing (0 to 1)", "0.2"))
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
}
