using System.ComponentModel.DataAnnotations;

namespace KafkaO11y.Contracts;

/// <summary>
/// The <c>Messaging</c> configuration section both services read: the topic the Producer writes
/// and the Consumer reads, which the AppHost sets (<see cref="ConfigurationKeys.MessagingTopic"/>).
/// Each service binds it with validation on start.
/// </summary>
public sealed class MessagingOptions
{
    public const string Section = ConfigurationKeys.Messaging;

    [Required]
    public string Topic { get; set; } = MessageTopics.Messages;
}
