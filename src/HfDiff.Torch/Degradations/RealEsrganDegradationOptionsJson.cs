using System.Reflection;
using System.Text.Json;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Reads <see cref="RealEsrganDegradationOptions"/> from JSON with Real-ESRGAN's option names (snake_case, as in
/// <c>options/train_realesrgan_x4plus.yml</c>): either flat (<c>{"resize_prob": [0.2, 0.7, 0.1], …}</c>) or with the
/// model/dataset sections (<c>{"model_opts": {…}, "dataset_opts": {…}}</c>). Keys not given keep the official defaults;
/// unknown keys are errors that name the file and key, so a typo never silently falls back to a default.
/// </summary>
public static class RealEsrganDegradationOptionsJson
{
    static readonly string[] Sections = ["model_opts", "dataset_opts"];
    static readonly string[] IgnoredSections = ["source", "hardcoded_in_code", "yml_full"];

    public static RealEsrganDegradationOptions Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Degradation options file not found: '{path}'.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}': not valid JSON ({e.Message}).", e); }
    }

    public static RealEsrganDegradationOptions FromJson(JsonElement root, string source = "degradation options")
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object.");
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        bool sectioned = Sections.Any(s => root.TryGetProperty(s, out _));
        foreach (var p in root.EnumerateObject())
        {
            if (sectioned && Sections.Contains(p.Name))
                foreach (var q in p.Value.EnumerateObject()) values[q.Name] = q.Value;
            else if (!IgnoredSections.Contains(p.Name)) values[p.Name] = p.Value;
        }

        var properties = typeof(RealEsrganDegradationOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).ToDictionary(p => p.Name.ToLowerInvariant(), StringComparer.Ordinal);
        object options = new RealEsrganDegradationOptions();
        options = typeof(RealEsrganDegradationOptions).GetMethod("<Clone>$")!.Invoke(options, null)!;
        foreach (var (key, value) in values)
        {
            if (!properties.TryGetValue(key.Replace("_", "").ToLowerInvariant(), out var property))
                throw new InvalidDataException($"{source}: unknown option '{key}'.");
            try { property.SetValue(options, Convert(value, property.PropertyType)); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"{source}: option '{key}' has an invalid value {value.GetRawText()} ({e.Message}).", e);
            }
        }
        var result = (RealEsrganDegradationOptions)options;
        result.Validate();
        return result;
    }

    static object Convert(JsonElement v, Type type)
    {
        if (type == typeof(int)) return v.GetInt32();
        if (type == typeof(double)) return v.GetDouble();
        if (type == typeof(bool)) return v.GetBoolean();
        if (type == typeof((double, double)))
        {
            var a = v.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            if (a.Length != 2) throw new FormatException("expected [min, max]");
            return (a[0], a[1]);
        }
        if (type == typeof(IReadOnlyList<double>)) return v.EnumerateArray().Select(x => x.GetDouble()).ToList();
        if (type == typeof(IReadOnlyList<int>)) return v.EnumerateArray().Select(x => x.GetInt32()).ToList();
        if (type == typeof(IReadOnlyList<BlurKernelType>)) return v.EnumerateArray().Select(x => BlurKernelTypes.Parse(x.GetString()!)).ToList();
        throw new FormatException($"unsupported option type {type.Name}");
    }
}
