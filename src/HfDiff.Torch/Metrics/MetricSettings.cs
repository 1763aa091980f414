using System.Globalization;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// pyiqa-style keyword settings (<c>test_y_channel=true</c>, <c>color_space=ycbcr</c>, <c>crop_border=4</c>) applied to a
/// metric's options record through <see cref="OptionsBinder"/>: snake_case keys map to the record's PascalCase properties;
/// values are parsed invariantly (bool, integers, floating point, enums by their pyiqa names, strings) under
/// <see cref="ValueRules.Settings"/>. Unknown keys and unparsable values are errors that name the metric, key, value and
/// what is allowed — the CLI, ML.NET options and saved models all go through here.
/// </summary>
public static class MetricSettings
{
    /// <summary>Returns a copy of <paramref name="options"/> with <paramref name="settings"/> applied.</summary>
    public static T Apply<T>(string metric, T options, IReadOnlyDictionary<string, string>? settings) where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        if (settings is null || settings.Count == 0) return options;
        var values = settings.Select(kv => KeyValuePair.Create(kv.Key, (object?)kv.Value.Trim()));
        return OptionsBinder.Bind(options, values, ValueRules.Settings, Errors(metric));
    }

    static BindingErrors Errors(string metric) => new(
        key => new ArgumentException($"Metric '{metric}' needs setting '{key}'."),
        (key, value, expected) => new ArgumentException($"Metric '{metric}': setting '{key}' must be {expected}; got {OptionsBinder.Describe(value)}."),
        (keys, known) => new ArgumentException(
            $"Metric '{metric}' has no setting{(keys.Count > 1 ? "s" : "")} {string.Join(", ", keys.Select(k => $"'{k}'"))}. Known settings: {string.Join(", ", known)}."));

    /// <summary>
    /// The settable properties of an options record as pyiqa keyword arguments (snake_case name, invariant value; lists
    /// joined by commas; paths and other nulls shown as <c>none</c>), in declaration order.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> Describe(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OptionsBinder.Settable(options.GetType())
            .Select(p => (OptionsBinder.SnakeCase(p.Name), Format(p.GetValue(options))))
            .ToList();
    }

    static string Format(object? value) => value switch
    {
        null => "none",
        bool b => b ? "true" : "false",
        Enum e => OptionsBinder.ConfigName(e),
        string s => s,
        System.Collections.IEnumerable list => string.Join(",", list.Cast<object?>().Select(Format)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
