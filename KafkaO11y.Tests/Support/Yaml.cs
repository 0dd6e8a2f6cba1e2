using YamlDotNet.Serialization;

namespace KafkaO11y.Tests.Support;

/// <summary>YAML files read as plain maps and lists, to check references between configs.</summary>
public static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static Dictionary<object, object?> Load(string path) => Parse(File.ReadAllText(path));

    public static Dictionary<object, object?> Parse(string text) =>
        Deserializer.Deserialize<Dictionary<object, object?>>(text) ?? [];

    /// <summary>The file's content written out again without comments or layout, to compare meaning.</summary>
    public static string Canonical(string path) => new SerializerBuilder().Build().Serialize(Load(path));

    /// <summary>Parses every document of a file, failing with the file's name when it is not YAML.</summary>
    public static void AssertParses(string path) => AssertParses(path, File.ReadAllText(path));

    /// <summary>Parses every document of <paramref name="text"/>, failing with <paramref name="path"/> when it is not YAML.</summary>
    public static void AssertParses(string path, string text)
    {
        try
        {
            using var reader = new StringReader(text);
            var parser = new YamlDotNet.Core.Parser(reader);
            var stream = new YamlDotNet.RepresentationModel.YamlStream();
            stream.Load(parser);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            Assert.Fail($"{path} is not valid YAML: {e.Message}");
        }
    }

    public static Dictionary<object, object?> Map(this Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is Dictionary<object, object?> child ? child : [];

    public static List<string> Strings(this Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is List<object?> list ? [.. list.Select(item => item?.ToString() ?? "")] : [];

    public static IEnumerable<string> Keys(this Dictionary<object, object?> map) => map.Keys.Select(k => k.ToString()!);
}
