using System.Globalization;
using System.Reflection;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// pyiqa-style keyword settings (<c>test_y_channel=true</c>, <c>color_space=ycbcr</c>, <c>crop_border=4</c>) applied to a
/// metric's options record: snake_case keys map to the record's PascalCase properties; values are parsed invariantly
/// (bool, integers, floating point, enums by name, strings). Unknown keys and unparsable values are errors that name
/// the metric, key, value and what is allowed — the CLI, ML.NET options and saved models all go through here.
/// </summary>
public static class MetricSettings
{
    /// <summary>Returns a copy of <paramref name="options"/> with <paramref name="settings"/> applied.</summary>
    public static T Apply<T>(string metric, T options, IReadOnlyDictionary<string, string>? settings) where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        if (settings is null || settings.Count == 0) return options;
        var type = options.GetType();
        var clone = type.GetMethod("<Clone>$")?.Invoke(options, null) as T
            ?? throw new ArgumentException($"{type.Name} is not a record; settings cannot be applied.", nameof(options));
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => Normalise(p.Name), StringComparer.Ordinal);
        foreach (var (key, raw) in settings)
        {
            if (!properties.TryGetValue(Normalise(key), out var property))
                throw new ArgumentException($"Metric '{metric}' has no setting '{key}'. Known settings: {string.Join(", ", properties.Values.Select(p => ToSnake(p.Name)))}.");
            property.SetValue(clone, Parse(metric, key, raw, property.PropertyType));
        }
        return clone;
    }

    /// <summary>
    /// The settable properties of an options record as pyiqa keyword arguments (snake_case name, invariant value; lists
    /// joined by commas; paths and other nulls shown as <c>none</c>), in declaration order.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> Describe(object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .OrderBy(p => p.MetadataToken)
            .Select(p => (ToSnake(p.Name), Format(p.GetValue(options))))
            .ToList();
    }

    static string Format(object? value) => value switch
    {
        null => "none",
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        string s => s,
        System.Collections.IEnumerable list => string.Join(",", list.Cast<object?>().Select(Format)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static object? Parse(string metric, string key, string raw, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var value = raw.Trim();
        try
        {
            if (target == typeof(bool))
                return value.ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => true,
                    "false" or "0" or "no" => false,
                    _ => throw new FormatException(),
                };
            if (target == typeof(string)) return value;
            if (target.IsEnum)
            {
                var match = Enum.GetNames(target).FirstOrDefault(n => string.Equals(n, value.Replace("_", ""), StringComparison.OrdinalIgnoreCase));
                return match is null ? throw new FormatException() : Enum.Parse(target, match);
            }
            return Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            var allowed = target.IsEnum ? string.Join(", ", Enum.GetNames(target).Select(n => n.ToLowerInvariant()))
                        : target == typeof(bool) ? "true, false" : target.Name;
            throw new ArgumentException($"Metric '{metric}': setting '{key}' must be {allowed}; got '{raw}'.");
        }
    }

    static string Normalise(string name) => name.Replace("_", "").ToLowerInvariant();

    static string ToSnake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
