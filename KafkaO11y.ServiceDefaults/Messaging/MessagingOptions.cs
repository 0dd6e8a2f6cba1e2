using System.ComponentModel.DataAnnotations;
using KafkaO11y.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaO11y.ServiceDefaults.Messaging;

/// <summary>The <c>Messaging</c> configuration section both services share.</summary>
public sealed class MessagingOptions
{
    public const string Section = ConfigurationKeys.Messaging;

    /// <summary>The topic the Producer writes and the Consumer reads (the AppHost sets it).</summary>
    [Required]
    public string Topic { get; set; } = MessageTopics.Messages;
}

public static class MessagingOptionsExtensions
{
    /// <summary>Binds <see cref="MessagingOptions"/> from the <c>Messaging</c> section, validated when the service starts.</summary>
    public static TBuilder AddMessagingOptions<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }
}
