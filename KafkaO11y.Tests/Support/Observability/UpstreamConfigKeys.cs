using System.Text.RegularExpressions;

namespace KafkaO11y.Tests.Support;

/// <summary>
/// One reviewed <c>observability/&lt;component&gt;/upstream-config-keys.yml</c>: the keys the pinned
/// version of a component accepts in each mapping of our config, read by hand from its source at
/// the tag (the file names the repository, tag and commit). <see cref="Violations"/> holds every
/// key of our config against it, so a misspelt or unknown key fails a test instead of stopping the
/// container at start-up on a user's machine.
/// </summary>
/// <remarks>
/// A path is the keys from the top joined by dots ("" is the top level); "[]" stands for each item
/// of a list; "*" for any key of a free map whose values are checked alike (pipelines, say). A
/// mapping marked <c>ids: true</c> holds component ids, <c>type/name</c>, checked by type. Our
/// configs are checked under a prefix when one file covers several (Grafana's "datasources:").
/// </remarks>
public sealed partial record UpstreamConfigKeys(string File, string Repository, string Tag, string Commit, bool Strict,
    IReadOnlyList<(string Config, string Prefix)> Covers, IReadOnlyDictionary<string, UpstreamConfigKeys.Entry> Keys)
{
    public sealed record Entry(string Source, IReadOnlySet<string> Accepts, bool Free, bool Ids);

    public const string FileName = "upstream-config-keys.yml";

    /// <summary>Every reviewed list in observability/, by the folder it is in.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(Support.Repository.Observability, FileName, SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal);

    public static UpstreamConfigKeys Load(string path)
    {
        var root = Yaml.Load(path);
        var upstream = root.Map("upstream");
        var covers = root.TryGetValue("covers", out var coversValue) ? coversValue switch
        {
            string single => [(single, "")],
            List<object?> list => list.Select(item => item switch
            {
                string file => (file, ""),
                Dictionary<object, object?> map => (map["file"]!.ToString()!, map.TryGetValue("prefix", out var prefix) ? prefix?.ToString() ?? "" : ""),
                _ => throw new InvalidDataException($"{path}: covers holds {item}"),
            }).ToList(),
            _ => throw new InvalidDataException($"{path}: covers is {coversValue}"),
        } : new List<(string, string)>();

        var keys = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (name, value) in root.Map("keys"))
        {
            var entry = value as Dictionary<object, object?> ?? throw new InvalidDataException($"{path}: keys.{name} is not a mapping");
            keys[name.ToString()!] = new Entry(
                entry.TryGetValue("source", out var source) ? source?.ToString() ?? "" : "",
                new HashSet<string>(entry.Strings("accepts").Concat(entry.Strings("aliases")), StringComparer.Ordinal),
                IsTrue(entry, "free"),
                IsTrue(entry, "ids"));
        }

        return new UpstreamConfigKeys(path, Text(upstream, "repository"), Text(upstream, "tag"), Text(upstream, "commit"),
            IsTrue(root, "strict"), covers, keys);
    }

    /// <summary>Every key of <paramref name="config"/> (a parsed YAML document) this list does not accept, in words.</summary>
    public IReadOnlyList<string> Violations(object? config, string prefix = "")
    {
        var found = new List<string>();
        Walk(config, prefix, found, _ => { });
        return found;
    }

    /// <summary>Every key of <paramref name="config"/> this list holds to a set of accepted names (not those of free maps).</summary>
    public IReadOnlyList<(Dictionary<object, object?> Map, object Key)> CheckedKeys(object? config, string prefix = "")
    {
        var keys = new List<(Dictionary<object, object?>, object)>();
        Walk(config, prefix, [], keys.Add);
        return keys;
    }

    private void Walk(object? node, string path, List<string> found, Action<(Dictionary<object, object?>, object)> checkedKey)
    {
        switch (node)
        {
            case Dictionary<object, object?> map:
                if (!Keys.TryGetValue(path, out var entry))
                {
                    found.Add($"'{Shown(path)}' is a mapping no entry of {Name} reviews: add the keys {Tag} accepts there, from its source");
                    return;
                }

                if (entry.Free && !Keys.ContainsKey(Child(path, "*")))
                {
                    return;
                }

                foreach (var (keyObject, value) in map)
                {
                    var key = keyObject.ToString()!;
                    var checkedAs = entry.Ids ? key.Split('/')[0] : key;
                    if (entry.Ids && key.Contains('/') && !ComponentName().IsMatch(key[(key.IndexOf('/') + 1)..]))
                    {
                        found.Add($"'{Shown(Child(path, key))}': the name after '/' must be non-empty, without spaces, controls or symbols");
                    }

                    if (!entry.Free)
                    {
                        checkedKey((map, keyObject));
                    }

                    if (!entry.Free && !entry.Accepts.Contains(checkedAs))
                    {
                        found.Add($"'{Shown(Child(path, key))}': {Repository} {Tag} accepts no '{checkedAs}' there ({entry.Source}); it accepts {string.Join(", ", entry.Accepts.Order(StringComparer.Ordinal))}");
                        continue;
                    }

                    // A child with no entry of its own is checked as any key of this mapping ("*"), where one exists.
                    var child = Child(path, entry.Free ? "*" : checkedAs);
                    if (!Keys.ContainsKey(child) && Keys.ContainsKey(Child(path, "*")))
                    {
                        child = Child(path, "*");
                    }

                    Walk(value, child, found, checkedKey);
                }

                break;
            case List<object?> list:
                foreach (var item in list)
                {
                    Walk(item, path + "[]", found, checkedKey);
                }

                break;
        }
    }

    private string Name => Path.GetRelativePath(Support.Repository.Root, File);

    private static string Child(string path, string key) => path.Length == 0 || path.EndsWith(':') ? path + key : $"{path}.{key}";

    private static string Shown(string path) => path.Length == 0 ? "(top level)" : path;

    private static string Text(Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is not null ? value.ToString()! : "";

    // The collector's rule for the name part of a component id (component/identifiable.go, nameRegexp).
    [GeneratedRegex(@"^[^\p{Z}\p{C}\p{S}]+$")]
    private static partial Regex ComponentName();

    private static bool IsTrue(Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) && string.Equals(value?.ToString(), "true", StringComparison.OrdinalIgnoreCase);
}
