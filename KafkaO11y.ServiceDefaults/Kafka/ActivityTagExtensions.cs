using System.Diagnostics;

namespace KafkaO11y.ServiceDefaults.Kafka;

internal static class ActivityTagExtensions
{
    public static void AddTagIfNotNull(this Activity activity, string name, object? value)
    {
        if (value is not null)
        {
            activity.AddTag(name, value);
        }
    }

    /// <summary>The client's attributes that Kafka's client API does not tell: client id, first bootstrap server.</summary>
    public static void AddClientTags(this Activity activity, KafkaClientInfo client)
    {
        activity.AddTagIfNotNull(MessagingAttributes.ClientId, client.ClientId);
        activity.AddTagIfNotNull(MessagingAttributes.ServerAddress, client.ServerAddress);
        activity.AddTagIfNotNull(MessagingAttributes.ServerPort, client.ServerPortTag);
    }
}
