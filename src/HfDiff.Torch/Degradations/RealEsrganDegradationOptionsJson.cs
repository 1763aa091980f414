using System.Text.Json;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Reads <see cref="RealEsrganDegradationOptions"/> from JSON with Real-ESRGAN's option names (snake_case, as in
/// <c>options/train_realesrgan_x4plus.yml</c>): either flat (<c>{"resize_prob": [0.2, 0.7, 0.1], …}</c>) or with the
/// model/dataset sections (<c>{"model_opts": {…}, "dataset_opts": {…}}</c>), bound by <see cref="OptionsBinder"/> under
/// <see cref="ValueRules.Json"/>. Keys not given keep the official defaults; unknown keys are errors that name the file and
/// key (and list the known ones), so a typo never silently falls back to a default.
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
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        bool sectioned = Sections.Any(s => root.TryGetProperty(s, out _));
        foreach (var p in root.EnumerateObject())
        {
            if (sectioned && Sections.Contains(p.Name))
                foreach (var q in p.Value.EnumerateObject()) values[q.Name] = q.Value;
            else if (!IgnoredSections.Contains(p.Name)) values[p.Name] = p.Value;
        }

        var result = OptionsBinder.Bind(new RealEsrganDegradationOptions(), values, ValueRules.Json, Errors(source));
        result.Validate();
        return result;
    }

    static BindingErrors Errors(string source) => new(
        key => new InvalidDataException($"{source}: option '{key}' is missing."),
        (key, value, expected) => new InvalidDataException($"{source}: option '{key}' must be {expected}; got {OptionsBinder.Describe(value)}."),
        (keys, known) => new InvalidDataException(
            $"{source}: unknown option{(keys.Count > 1 ? "s" : "")} {string.Join(", ", keys.Select(k => $"'{k}'"))}. Known options: {string.Join(", ", known)}."));
}
