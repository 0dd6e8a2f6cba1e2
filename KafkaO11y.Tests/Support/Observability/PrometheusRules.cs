namespace KafkaO11y.Tests.Support;

/// <summary>A rule of <c>observability/prometheus/rules</c>.</summary>
public sealed record PrometheusRule(
    string File, string? Alert, string? Record, string Expression, string? For,
    IReadOnlyDictionary<object, object?> Labels, IReadOnlyDictionary<object, object?> Annotations);

public static class PrometheusRules
{
    public static string RulesFolder => Path.Combine(Repository.Observability, "prometheus", "rules");

    public static string TestsFolder => Path.Combine(Repository.Observability, "prometheus", "tests");

    public static IReadOnlyList<PrometheusRule> All(string? folder = null) =>
        [.. Directory.GetFiles(folder ?? RulesFolder, "*.yml").Order().SelectMany(file =>
            ((List<object?>)Yaml.Load(file)["groups"]!).Cast<Dictionary<object, object?>>()
                .SelectMany(group => ((List<object?>)group["rules"]!).Cast<Dictionary<object, object?>>())
                .Select(rule => new PrometheusRule(
                    Path.GetFileName(file),
                    rule.GetValueOrDefault("alert")?.ToString(),
                    rule.GetValueOrDefault("record")?.ToString(),
                    rule["expr"]!.ToString()!,
                    rule.GetValueOrDefault("for")?.ToString(),
                    rule.Map("labels"),
                    rule.Map("annotations"))))];

    /// <summary>Alert names with, per test file, whether a case expects them firing or expects nothing.</summary>
    public static (HashSet<string> Firing, HashSet<string> NotFiring) TestedAlerts()
    {
        var firing = new HashSet<string>();
        var notFiring = new HashSet<string>();
        foreach (var file in Directory.GetFiles(TestsFolder, "*.yml"))
        {
            foreach (var test in ((List<object?>)Yaml.Load(file)["tests"]!).Cast<Dictionary<object, object?>>())
            {
                if (!test.TryGetValue("alert_rule_test", out var cases) || cases is not List<object?> list)
                {
                    continue;
                }

                foreach (var testCase in list.Cast<Dictionary<object, object?>>())
                {
                    var name = testCase["alertname"]!.ToString()!;
                    var expected = testCase.GetValueOrDefault("exp_alerts") as List<object?>;
                    (expected is { Count: > 0 } ? firing : notFiring).Add(name);
                }
            }
        }

        return (firing, notFiring);
    }
}
