using System.Globalization;

namespace KafkaO11y.AppHost;

/// <summary>
/// The arguments of dashboard commands: the inputs the dashboard asks for, and their values read
/// back. A caller without arguments (a test, the CLI) gets each argument's default.
/// </summary>
internal static class CommandArguments
{
    public static InteractionInput Number(string name, string label, string value, string? description = null) =>
        new() { Name = name, Label = label, InputType = InputType.Number, Required = true, Value = value, Description = description };

    public static InteractionInput Choice<TEnum>(string name, string label, string value) where TEnum : struct, Enum =>
        Choice(name, label, value, [.. Enum.GetNames<TEnum>().Select(option => new KeyValuePair<string, string>(option, option))]);

    public static InteractionInput Choice(string name, string label, string value, IReadOnlyList<KeyValuePair<string, string>> options) => new()
    {
        Name = name,
        Label = label,
        InputType = InputType.Choice,
        Required = true,
        Value = value,
        Options = options,
    };

    public static double NumberOf(this InteractionInputCollection arguments, string name, double defaultValue) =>
        arguments.TryGetByName(name, out var input)
            && double.TryParse(input.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : defaultValue;

    public static int WholeNumberOf(this InteractionInputCollection arguments, string name, int defaultValue) =>
        arguments.TryGetByName(name, out var input) && int.TryParse(input.Value, CultureInfo.InvariantCulture, out var value) ? value : defaultValue;

    public static string TextOf(this InteractionInputCollection arguments, string name, string defaultValue) =>
        arguments.TryGetByName(name, out var input) && !string.IsNullOrEmpty(input.Value) ? input.Value : defaultValue;
}
