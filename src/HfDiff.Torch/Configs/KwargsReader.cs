using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace HfDiff.Torch.Configs;

/// <summary>
/// Reads a Python-style kwargs dictionary (snake_case keys; int/long/double/bool/string/list/dictionary values, as
/// produced from config.json or from a YAML <c>params:</c> section) with messages that name the owner, key and value.
/// </summary>
internal sealed class KwargsReader
{
    readonly IReadOnlyDictionary<string, object?> _kwargs;
    readonly HashSet<string> _used = new(StringComparer.Ordinal);
    readonly string _owner;

    public KwargsReader(IReadOnlyDictionary<string, object?> kwargs, string owner)
    {
        ArgumentNullException.ThrowIfNull(kwargs);
        _kwargs = kwargs;
        _owner = owner;
    }

    public bool Has(string key) => _kwargs.ContainsKey(key);

    /// <summary>Keys that no getter asked for (Python would raise TypeError for these).</summary>
    public IEnumerable<string> UnusedKeys => _kwargs.Keys.Where(k => !_used.Contains(k));

    public void ThrowOnUnused()
    {
        var extra = UnusedKeys.ToList();
        if (extra.Count > 0)
            throw new ArgumentException($"{_owner}: unexpected keyword argument(s) {string.Join(", ", extra.Select(k => $"'{k}'"))}.");
    }

    object? Raw(string key)
    {
        _used.Add(key);
        return _kwargs[key];
    }

    public int Int(string key, int fallback) => Has(key) ? ToInt(key, Raw(key)) : fallback;
    public int RequiredInt(string key) => ToInt(key, RequiredRaw(key));
    public double Double(string key, double fallback) => Has(key) ? ToDouble(key, Raw(key)) : fallback;
    public bool Bool(string key, bool fallback) => Has(key) ? ToBool(key, Raw(key)) : fallback;
    public string String(string key, string fallback) => Has(key) ? ToStr(key, Raw(key)) : fallback;
    /// <summary>A string that may be null/None (absent → null).</summary>
    public string? NullableString(string key) =>
        !Has(key) ? null : Raw(key) is var v && (v is null || v is JsonElement { ValueKind: JsonValueKind.Null }) ? null : ToStr(key, _kwargs[key]);

    public int[] IntList(string key, int[] fallback) => Has(key) ? ToIntList(key, Raw(key)) : fallback;
    public int[] RequiredIntList(string key) => ToIntList(key, RequiredRaw(key));

    /// <summary>An int or a list of ints (Python's <c>isinstance(num_res_blocks, int)</c> branch); ints are repeated <paramref name="count"/> times.</summary>
    public int[] IntOrList(string key, int count)
    {
        var v = RequiredRaw(key);
        return IsSequence(v) ? ToIntList(key, v) : Enumerable.Repeat(ToInt(key, v), count).ToArray();
    }

    public IReadOnlyDictionary<string, object?> Dictionary(string key)
    {
        var v = RequiredRaw(key);
        return v switch
        {
            IReadOnlyDictionary<string, object?> d => d,
            IDictionary d => d.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture)!, k => d[k], StringComparer.Ordinal),
            JsonElement { ValueKind: JsonValueKind.Object } e => FromJson(e),
            _ => throw Bad(key, v, "a dictionary"),
        };
    }

    object? RequiredRaw(string key)
    {
        if (!Has(key)) throw new ArgumentException($"{_owner}: missing required argument '{key}'.");
        return Raw(key);
    }

    ArgumentException Bad(string key, object? value, string expected) =>
        new($"{_owner}: '{key}' must be {expected}; got {Describe(value)}.");

    static string Describe(object? v) => v switch
    {
        null => "null",
        string s => $"'{s}'",
        IEnumerable e when v is not string => "[" + string.Join(", ", e.Cast<object?>().Select(Describe)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? v.GetType().Name,
    };

    static bool IsSequence(object? v) => v is IEnumerable and not string and not IDictionary && v is not JsonElement
                                         || v is JsonElement { ValueKind: JsonValueKind.Array };

    int ToInt(string key, object? v)
    {
        switch (v)
        {
            case int i: return i;
            case long l when l is >= int.MinValue and <= int.MaxValue: return (int)l;
            case short s: return s;
            case byte b: return b;
            case double d when d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue: return (int)d;
            case float f when f == MathF.Floor(f) && Math.Abs(f) <= int.MaxValue: return (int)f;
            case decimal m when m == decimal.Floor(m) && Math.Abs(m) <= int.MaxValue: return (int)m;
            case string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p): return p;
            case JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var j): return j;
            default: throw Bad(key, v, "an integer");
        }
    }

    double ToDouble(string key, object? v) => v switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        short s => s,
        decimal m => (double)m,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        _ => throw Bad(key, v, "a number"),
    };

    bool ToBool(string key, object? v) => v switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var p) => p,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => throw Bad(key, v, "true or false"),
    };

    string ToStr(string key, object? v) => v switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        _ => throw Bad(key, v, "a string"),
    };

    int[] ToIntList(string key, object? v)
    {
        if (v is JsonElement { ValueKind: JsonValueKind.Array } arr)
            return arr.EnumerateArray().Select(e => ToInt(key, e)).ToArray();
        if (v is IEnumerable e2 and not string and not IDictionary)
            return e2.Cast<object?>().Select(x => ToInt(key, x)).ToArray();
        throw Bad(key, v, "a list of integers");
    }

    /// <summary>Converts a JSON object to the plain dictionary form the option factories take.</summary>
    public static Dictionary<string, object?> FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"Expected a JSON object of keyword arguments; got {element.ValueKind}.", nameof(element));
        return element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value), StringComparer.Ordinal);
    }

    static object? Plain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => FromJson(e),
        JsonValueKind.Array => e.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
