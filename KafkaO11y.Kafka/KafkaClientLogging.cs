using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaO11y.Kafka;

/// <summary>
/// librdkafka's own log lines and errors (broker down, authentication failed, fatal errors) as
/// <see cref="ILogger"/> records, so they reach the dashboard and Loki with the service's other
/// logs instead of its stderr. Category <c>KafkaO11y.Kafka</c>.
/// </summary>
public static partial class KafkaClientLogging
{
    /// <summary>The log category of librdkafka's lines and errors.</summary>
    public const string Category = "KafkaO11y.Kafka";

    /// <summary>The logger the clients' log and error handlers write to.</summary>
    public static ILogger CreateLogger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

    /// <summary>librdkafka's log handler: its syslog level mapped to a log level, its facility kept.</summary>
    public static void Log(ILogger logger, LogMessage message) =>
        LogClientMessage(logger, LevelOf(message.Level), message.Facility, message.Name, message.Message);

    /// <summary>librdkafka's error handler: a fatal error is critical (the client is unusable), any other an error it may recover from.</summary>
    public static void Error(ILogger logger, string clientName, Error error) =>
        LogClientError(logger, error.IsFatal ? LogLevel.Critical : LogLevel.Error, clientName, error.Code, error.Reason, error.IsFatal);

    /// <summary>librdkafka's syslog level as a log level: emergency to critical are Critical, notice and info Information, debug Debug.</summary>
    public static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Message = "librdkafka {Facility} ({ClientName}): {Message}")]
    private static partial void LogClientMessage(ILogger logger, LogLevel level, string facility, string clientName, string message);

    [LoggerMessage(Message = "Kafka client {ClientName} error {Code}: {Reason} (fatal: {IsFatal})")]
    private static partial void LogClientError(ILogger logger, LogLevel level, string clientName, ErrorCode code, string reason, bool isFatal);
}
