using KafkaO11y.AppHost;
using KafkaO11y.Tests.Observability;
using Microsoft.Extensions.Configuration;

namespace KafkaO11y.Tests.Support;

/// <summary>Whether Containers mode can run on this machine, asked as the AppHost's Auto mode asks.</summary>
public static class ContainersHere
{
    public static string? Problem() => ContainerRuntime.Problem(
        new ConfigurationBuilder().AddEnvironmentVariables().Build(), ContainerImages.NeededFromRegistry(Repository.Root));
}
