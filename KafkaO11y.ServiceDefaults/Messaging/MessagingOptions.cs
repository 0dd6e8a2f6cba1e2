using System.ComponentModel.DataAnnotations;

namespace KafkaO11y.ServiceDefaults.Messaging;

/// <summary>The <c>Messaging</c> configuration section both services share.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>The topic the Producer writes and the Consumer reads (the AppHost sets it).</summary>
    [Required]
    public string Topic { get; set; } = "messages";
}
