namespace KafkaO11y.Tests.EndToEnd.Faults;

/// <summary>
/// The Embedded application for the tests that break it (a service killed with SIGKILL, a broker
/// down, errors injected into the dead-letter topic): an app of their own, its classes run one at a
/// time and alone, so that a fault cannot reach a test of another class.
/// </summary>
public sealed class FaultsAppFixture : EmbeddedAppFixture;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsAppCollection : ICollectionFixture<FaultsAppFixture>
{
    public const string Name = "Faults application";
}
