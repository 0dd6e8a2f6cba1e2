using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using KafkaO11y.AppHost.Kafka;
using KafkaO11y.AppHost.Kafka.Containers;
using YamlDotNet.RepresentationModel;

namespace KafkaO11y.Tests.Support;

/// <summary>The two networks of a run: the host's loopback, and the containers' network DCP makes.</summary>
public enum Network
{
    Host,
    Containers,
}

/// <summary>Something that listens: a resource, at the port it listens on inside itself (or its endpoint's name).</summary>
public sealed record Listener(string Resource, string Port);

/// <summary>One thing a resource is told to reach: where it is told (a variable, an argument, a file) and the address.</summary>
public sealed record Told(string Caller, Network Network, string Source, string Address, Listener? Reaches, string? Problem);

/// <summary>
/// Who connects to whom in a <see cref="RunModeModel"/>: every address each resource is told (its
/// resolved environment, arguments and container files, what the AppHost process itself dials, and
/// what Kafka's metadata and JMX's RMI stub tell a client next), and what listens at that address on
/// the caller's network.
/// </summary>
public sealed partial class Connections
{
    private const string AppHostProcess = "AppHost";

    private readonly Dictionary<(Network, string), Listener> _listeners = [];
    private readonly Dictionary<string, BrokerFacts> _brokers = [];
    private readonly HashSet<string> _externalHosts;
    private readonly List<Told> _told = [];

    private Connections(IEnumerable<string> externalHosts)
    {
        _externalHosts = [.. externalHosts];
    }

    public IReadOnlyList<Told> Rows => _told;

    public IEnumerable<Told> Problems => _told.Where(t => t.Problem is not null);

    /// <summary>The ports a container listens on inside the containers' network (its endpoints' and its configuration's).</summary>
    public IReadOnlyList<int> ContainerPortsOf(string container) =>
        [.. _listeners.Where(l => l.Key.Item1 == Network.Containers && l.Value.Resource == container && int.TryParse(l.Value.Port, out _))
            .Select(l => int.Parse(l.Value.Port)).Distinct().Order()];

    public static async Task<Connections> OfAsync(RunModeModel run, params string[] externalHosts)
    {
        var resources = run.Model.Resources
            .Where(r => r.Name != "aspire-dashboard" && !r.Name.EndsWith("-rebuilder", StringComparison.Ordinal) && r is not ParameterResource)
            .ToList();
        var wiring = new Connections(externalHosts);

        var configurations = new Dictionary<IResource, ResolvedConfiguration>();
        var files = new Dictionary<IResource, IReadOnlyList<ContainerFileGiven>>();
        foreach (var resource in resources.Where(r => r is IResourceWithEnvironment or IResourceWithArgs))
        {
            configurations[resource] = await run.ResolveAsync(resource);
            if (resource is ContainerResource)
            {
                files[resource] = await run.FilesAsync(resource);
            }
        }

        // What listens where: every allocated endpoint, and what a container listens on inside the containers' network only.
        foreach (var resource in run.Model.Resources.OfType<IResourceWithEndpoints>())
        {
            wiring.AddEndpointListeners(resource);
        }

        foreach (var broker in resources.OfType<KafkaBrokerResource>())
        {
            var facts = BrokerFacts.From(configurations[broker].Environment);
            wiring._brokers[broker.Name] = facts;
            foreach (var port in facts.ListenPorts)
            {
                wiring.AddContainerListener(broker.Name, port);
            }
        }

        foreach (var (container, given) in files)
        {
            foreach (var port in ConfigListenPorts(given))
            {
                wiring.AddContainerListener(container.Name, port);
            }
        }

        // Brokers replicate from each other through what each advertises on the inter-broker listener.
        foreach (var (name, broker) in wiring._brokers)
        {
            foreach (var (other, facts) in wiring._brokers.Where(b => b.Key != name))
            {
                var port = facts.ListenerOfPort.Single(l => l.Value == broker.InterBrokerListener).Key;
                wiring.TellWhatTheBrokerAnswers(name, Network.Containers, new Listener(other, port.ToString()), facts);
            }
        }

        // What each resource is told.
        foreach (var (resource, configuration) in configurations)
        {
            var network = (resource is ContainerResource) ? Network.Containers : Network.Host;
            foreach (var (name, value) in configuration.Environment.Where(v => !NotTargets.Contains(v.Key)))
            {
                wiring.Tell(resource.Name, network, name, value);
            }

            foreach (var argument in configuration.Arguments.Where(a => !a.Contains("listen-address", StringComparison.Ordinal)))
            {
                wiring.Tell(resource.Name, network, $"argument {argument.Split('=')[0]}", argument);
            }

            foreach (var file in files.GetValueOrDefault(resource) ?? [])
            {
                wiring.CheckEnvironmentReferences(resource.Name, network, file, configuration.Environment);

                // Annotations are prose for people (an alert's runbook), not addresses a program dials.
                foreach (var (where, value) in Values(file).Where(v => !v.Where.Contains(".annotations.", StringComparison.Ordinal)))
                {
                    wiring.Tell(resource.Name, network, where, value);
                }
            }

            if (configuration.Environment.TryGetValue("KAFKA_CLUSTERS_0_METRICS_PORT", out var metricsPort))
            {
                wiring.TellBrokersMetricsPort(resource.Name, network, configuration.Environment["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"], metricsPort);
            }
        }

        // The AppHost process itself: the topics step and each broker's health check dial the host listeners.
        if (run.Model.Resources.SingleOrDefault(r => r.Name == "kafka") is IResourceWithConnectionString kafka)
        {
            wiring.Tell($"kafka-topics ({AppHostProcess})", Network.Host, "the kafka connection string", await kafka.ConnectionStringExpression.GetValueAsync(CancellationToken.None) ?? "");
        }

        foreach (var broker in resources.OfType<KafkaBrokerResource>())
        {
            wiring.Tell($"{broker.Name}'s health check ({AppHostProcess})", Network.Host, "its connection string", await broker.ConnectionStringExpression.GetValueAsync(CancellationToken.None) ?? "");
        }

        return wiring;
    }

    /// <summary>The table as Markdown, one row per address told.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string>
        {
            "| Who | Is told, where | Address | Network | Reaches |",
            "| --- | --- | --- | --- | --- |",
        };
        lines.AddRange(_told.Select(t =>
            $"| {t.Caller} | {t.Source} | `{t.Address}` | {(t.Network == Network.Host ? "host" : "containers")} | {(t.Problem is null ? Describe(t.Reaches) : "**nothing: " + t.Problem + "**")} |"));
        return string.Join('\n', lines);
    }

    private static string Describe(Listener? listener) =>
        listener is null ? "external (not run by the AppHost)" : $"{listener.Resource} ({listener.Port})";

    // Variables that are a resource's own listen addresses, or read below as what a broker tells its clients.
    private static readonly HashSet<string> NotTargets = ["ASPNETCORE_URLS", "HTTP_PORTS", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_JMX_HOSTNAME"];

    private void AddEndpointListeners(IResourceWithEndpoints resource)
    {
        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
        {
            var port = endpoint.TargetPort?.ToString() ?? endpoint.Name;
            foreach (var allocation in endpoint.AllAllocatedEndpoints)
            {
                var allocated = allocation.Snapshot.GetValueAsync().GetAwaiter().GetResult();
                var network = allocation.NetworkID == KnownNetworkIdentifiers.LocalhostNetwork ? Network.Host : Network.Containers;
                _listeners[(network, $"{allocated.Address}:{allocated.Port}")] = new Listener(resource.Name, port);
                if (network == Network.Host)
                {
                    _listeners[(network, $"127.0.0.1:{allocated.Port}")] = new Listener(resource.Name, port);
                }
            }

            if ((resource is ContainerResource) && endpoint.TargetPort is { } targetPort)
            {
                AddContainerListener(resource.Name, targetPort);
            }
        }
    }

    /// <summary>A container listening on <paramref name="port"/>: others reach it by its name (an alias DCP gives it) and <c>name.dev.internal</c>.</summary>
    private void AddContainerListener(string container, int port)
    {
        _listeners[(Network.Containers, $"{container}:{port}")] = new Listener(container, port.ToString());
        _listeners[(Network.Containers, $"{container}.dev.internal:{port}")] = new Listener(container, port.ToString());
    }

    private void Tell(string caller, Network network, string source, string value)
    {
        foreach (Match match in Address().Matches(value))
        {
            var host = match.Groups["host"].Value;
            if (!IsOurs(host))
            {
                continue;
            }

            var address = $"{host}:{match.Groups["port"].Value}";
            var reaches = Reach(caller, network, address);
            _told.Add(new Told(caller, network, source, address, reaches, reaches is null && !_externalHosts.Contains(host) ? Unreachable(caller, network, address) : null));
            if (reaches is not null && _brokers.TryGetValue(reaches.Resource, out var broker))
            {
                TellWhatTheBrokerAnswers(caller, network, reaches, broker);
            }
        }
    }

    /// <summary>A config file's <c>${env:NAME}</c> (the collector's syntax) must be set, or the program reads an empty value.</summary>
    private void CheckEnvironmentReferences(string caller, Network network, ContainerFileGiven file, IReadOnlyDictionary<string, string> environment)
    {
        foreach (Match reference in EnvironmentReference().Matches(file.Contents))
        {
            var name = reference.Groups[1].Value;
            if (string.IsNullOrEmpty(environment.GetValueOrDefault(name)))
            {
                _told.Add(new Told(caller, network, $"{file.Path} reads ${{env:{name}}}", "", null, $"{caller} is given no value for {name}"));
            }
        }
    }

    /// <summary>
    /// A Kafka client that reached a broker's listener gets the broker's advertised address for that
    /// listener and dials it next; a JMX client that reached the JMX port gets an RMI stub naming
    /// KAFKA_JMX_HOSTNAME and the same port, and dials that.
    /// </summary>
    private void TellWhatTheBrokerAnswers(string caller, Network network, Listener reached, BrokerFacts broker)
    {
        var port = int.Parse(reached.Port);
        string? source = null, advertised = null;
        if (broker.ListenerOfPort.TryGetValue(port, out var listener) && broker.Advertised.TryGetValue(listener, out var address))
        {
            (source, advertised) = ($"{reached.Resource}'s metadata (advertised {listener})", address);
        }
        else if (port == broker.JmxPort)
        {
            (source, advertised) = ($"{reached.Resource}'s RMI stub (KAFKA_JMX_HOSTNAME, KAFKA_JMX_PORT)", $"{broker.JmxHostname}:{broker.JmxPort}");
        }

        if (source is null || advertised is null)
        {
            return;
        }

        var reaches = Reach(caller, network, advertised);
        var problem = reaches == reached ? null
            : reaches is null ? Unreachable(caller, network, advertised, reached.Resource)
            : $"it reaches {Describe(reaches)}, not {Describe(reached)}";
        _told.Add(new Told(caller, network, source, advertised, reaches, problem));
    }

    /// <summary>Kafka UI reads each broker's JMX at the broker's host (from its metadata) and the metrics port.</summary>
    private void TellBrokersMetricsPort(string caller, Network network, string bootstrap, string metricsPort)
    {
        foreach (var (name, broker) in _brokers)
        {
            var listener = bootstrap.Split(',').Select(a => Reach(caller, network, a)).FirstOrDefault(l => l?.Resource == name);
            if (listener is not null && broker.ListenerOfPort.TryGetValue(int.Parse(listener.Port), out var listenerName))
            {
                var host = broker.Advertised[listenerName].Split(':')[0];
                Tell(caller, network, $"KAFKA_CLUSTERS_0_METRICS_PORT at {name}'s advertised host", $"{host}:{metricsPort}");
            }
        }
    }

    private Listener? Reach(string caller, Network network, string address)
    {
        if (_listeners.TryGetValue((network, address), out var listener))
        {
            return listener;
        }

        // Inside a container, localhost is the container itself.
        var (host, port) = (address[..address.LastIndexOf(':')], address[(address.LastIndexOf(':') + 1)..]);
        return network == Network.Containers && host is "localhost" or "127.0.0.1"
            && _listeners.TryGetValue((Network.Containers, $"{caller}:{port}"), out var self) ? self : null;
    }

    /// <summary>
    /// Names both ends: what the caller is told, and where the resource meant (<paramref name="meant"/>,
    /// else the one the host names, else any on that port) listens on the caller's network.
    /// </summary>
    private string Unreachable(string caller, Network network, string address, string? meant = null)
    {
        var (host, port) = (address[..address.LastIndexOf(':')], address[(address.LastIndexOf(':') + 1)..]);
        var named = meant ?? host.Replace(".dev.internal", "", StringComparison.Ordinal);
        var candidates = _listeners.Where(l => l.Key.Item1 == network && (l.Value.Resource == named || (meant is null && l.Value.Port == port)))
            .Select(l => $"{l.Value.Resource} ({l.Value.Port}) listens at {l.Key.Item2}").Distinct().Take(4).ToList();
        var where = network == Network.Host ? "from the host" : "on the containers' network";
        return candidates.Count == 0
            ? $"{caller} is told {address}; {where}, nothing listens there"
            : $"{caller} is told {address}; {where}, {string.Join("; ", candidates)}";
    }

    /// <summary>Every host:port is an address to check, but a bind address (every interface) and a time of day.</summary>
    private static bool IsOurs(string host) => host is not ("0.0.0.0" or "::") && !host.All(char.IsDigit);

    /// <summary>Every string value of a file (YAML or JSON scalars, else its text), with where it was found; comments are not values.</summary>
    private static IEnumerable<(string Where, string Value)> Values(ContainerFileGiven file)
    {
        var name = file.Path;
        if (name.EndsWith(".json", StringComparison.Ordinal))
        {
            return JsonStrings(JsonDocument.Parse(file.Contents).RootElement, "").Select(v => ($"{name} {v.Path}", v.Value));
        }

        if (name.EndsWith(".yml", StringComparison.Ordinal) || name.EndsWith(".yaml", StringComparison.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(file.Contents));
            return stream.Documents.SelectMany(d => YamlScalars(d.RootNode, "")).Select(v => ($"{name} {v.Path}", v.Value));
        }

        return [(name, file.Contents)];
    }

    private static IEnumerable<(string Path, string Value)> JsonStrings(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => JsonStrings(p.Value, $"{path}.{p.Name}")),
        JsonValueKind.Array => element.EnumerateArray().SelectMany((e, i) => JsonStrings(e, $"{path}[{i}]")),
        JsonValueKind.String => [(path, element.GetString()!)],
        _ => [],
    };

    private static IEnumerable<(string Path, string Value)> YamlScalars(YamlNode node, string path) => node switch
    {
        YamlMappingNode map => map.Children.SelectMany(c => YamlScalars(c.Value, $"{path}.{c.Key}")),
        YamlSequenceNode list => list.Children.SelectMany((c, i) => YamlScalars(c, $"{path}[{i}]")),
        YamlScalarNode scalar when scalar.Value is not null => [(path, scalar.Value)],
        _ => [],
    };

    /// <summary>
    /// The ports a container's own configuration makes it listen on: a bind address such as
    /// <c>0.0.0.0:4317</c>, a <c>*listen_port</c> key, or a <c>port</c> beside <c>host: 0.0.0.0</c>.
    /// </summary>
    internal static IEnumerable<int> ConfigListenPorts(IEnumerable<ContainerFileGiven> files)
    {
        foreach (var file in files.Where(f => f.Path.EndsWith(".yaml", StringComparison.Ordinal) || f.Path.EndsWith(".yml", StringComparison.Ordinal)))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(file.Contents));
            foreach (var (path, value) in stream.Documents.SelectMany(d => YamlScalars(d.RootNode, "")))
            {
                if (BindAddress().Match(value) is { Success: true } bind)
                {
                    yield return int.Parse(bind.Groups[1].Value);
                }
                else if (path.EndsWith("listen_port", StringComparison.Ordinal) && int.TryParse(value, out var port))
                {
                    yield return port;
                }
            }

            foreach (var map in stream.Documents.SelectMany(d => Mappings(d.RootNode)))
            {
                if (map.Children.TryGetValue("host", out var host) && host.ToString() == "0.0.0.0"
                    && map.Children.TryGetValue("port", out var port) && int.TryParse(port.ToString(), out var number))
                {
                    yield return number;
                }
            }
        }
    }

    private static IEnumerable<YamlMappingNode> Mappings(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.Values.SelectMany(Mappings).Prepend(map),
        YamlSequenceNode list => list.Children.SelectMany(Mappings),
        _ => [],
    };

    // host:port, optionally after a scheme and "//", or after "id@" (KRaft's voters).
    [GeneratedRegex(@"(?:[A-Za-z][A-Za-z0-9+._-]*://|\d+@)?(?<host>[A-Za-z0-9][A-Za-z0-9.-]*):(?<port>\d{1,5})\b")]
    private static partial Regex Address();

    [GeneratedRegex(@"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex EnvironmentReference();

    [GeneratedRegex(@"^0\.0\.0\.0:(\d{1,5})$")]
    private static partial Regex BindAddress();

    /// <summary>What a broker's resolved environment says it listens on and tells its clients.</summary>
    private sealed record BrokerFacts(
        Dictionary<int, string> ListenerOfPort, Dictionary<string, string> Advertised, string InterBrokerListener, int JmxPort, string JmxHostname)
    {
        public IEnumerable<int> ListenPorts => ListenerOfPort.Keys.Append(JmxPort);

        public static BrokerFacts From(IReadOnlyDictionary<string, string> environment)
        {
            // NAME://host:port, comma separated; a listener without a host binds every interface.
            static Dictionary<string, string> Listeners(string value) => value.Split(',')
                .Select(l => l.Split("://"))
                .ToDictionary(l => l[0], l => l[1]);

            var listeners = Listeners(environment["KAFKA_LISTENERS"]);
            return new BrokerFacts(
                listeners.ToDictionary(l => int.Parse(l.Value[(l.Value.LastIndexOf(':') + 1)..]), l => l.Key),
                Listeners(environment["KAFKA_ADVERTISED_LISTENERS"]),
                environment["KAFKA_INTER_BROKER_LISTENER_NAME"],
                int.Parse(environment["KAFKA_JMX_PORT"]),
                environment["KAFKA_JMX_HOSTNAME"]);
        }
    }
}
