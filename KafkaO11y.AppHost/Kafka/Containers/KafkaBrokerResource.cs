namespace KafkaO11y.AppHost.Kafka.Containers;

/// <summary>
/// One Apache Kafka node in KRaft mode (broker and controller in one process), in a container.
/// Its connection string is the listener for processes on the host.
/// </summary>
public sealed class KafkaBrokerResource(string name, int nodeId) : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>Listener for processes on the host (the services): advertised as localhost and its host port.</summary>
    public const string HostEndpointName = "tcp";

    /// <summary>Listener for other containers (the collector, the other brokers): advertised as the container name.</summary>
    public const string InternalEndpointName = "internal";

    public const int HostListenerPort = 9092;
    public const int InternalListenerPort = 9093;
    public const int ControllerListenerPort = 9094;

    /// <summary>Remote JMX (and RMI) port the JMX exporter reads the MBeans from.</summary>
    public const int JmxPort = 9999;

    public int NodeId { get; } = nodeId;

    /// <summary>
    /// The host listener as host processes reach it (DCP's proxy on localhost), whoever resolves it:
    /// the broker advertises it to host clients, so resolved for the broker's own container it must
    /// still be the host's address, not the port inside the containers' network.
    /// </summary>
    public EndpointReference HostEndpoint => new(this, HostEndpointName, KnownNetworkIdentifiers.LocalhostNetwork);

    /// <summary><c>name:9093</c>: the address other containers reach this broker at.</summary>
    public string InternalAddress => $"{Name}:{InternalListenerPort}";

    /// <summary><c>name:9999</c>: where the JMX exporter reads this broker's MBeans.</summary>
    public string JmxAddress => $"{Name}:{JmxPort}";

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{HostEndpoint.Property(EndpointProperty.HostAndPort)}");
}
