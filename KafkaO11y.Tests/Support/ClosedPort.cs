using System.Net;
using System.Net.Sockets;

namespace KafkaO11y.Tests.Support;

internal static class ClosedPort
{
    /// <summary>A loopback port nothing listens on: one the system has just handed out and taken back.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
