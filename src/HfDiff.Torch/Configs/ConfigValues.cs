using System.Globalization;
using System.Text;

namespace HfDiff.Torch.Configs;

/// <summary>Helpers for the raw config value trees (int/long/double/bool/string/null, lists, string-keyed maps).</summary>
public static class ConfigValues
{
    /// <summary>Structural equality; integers compare by value whatever their CLR width; an int never equals a double.</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsInteger(a) && IsInteger(b)) return Convert.ToInt64(a, CultureInfo.InvariantCulture) == Convert.ToInt64(b, CultureInfo.InvariantCulture);
        if (a is double da && b is double db) return da.Equals(db);
        if (a is IReadOnlyDictionary<string, object?> ma && b is IReadOnlyDictionary<string, object?> mb)
            return ma.Count == mb.Count && ma.All(kv => mb.TryGetValue(kv.Key, out var v) && DeepEquals(kv.Value, v));
        if (a is IReadOnlyList<object?> la && b is IReadOnlyList<object?> lb)
            return la.Count == lb.Count && la.Zip(lb).All(p => DeepEquals(p.First, p.Second));
        if (a is string || a is bool) return a.Equals(b);
        return false;
    }

    /// <summary>A compact, YAML-flow-like rendering for messages and diffs.</summary>
    public static string Format(object? value)
    {
        var sb = new StringBuilder();
        Append(sb, value);
        return sb.ToString();
    }

    static void Append(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null: sb.Append('~'); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case double d: sb.Append(d.ToString("R", CultureInfo.InvariantCulture)); break;
            case string s: sb.Append('\'').Append(s).Append('\''); break;
            case IReadOnlyDictionary<string, object?> m:
                sb.Append('{');
                bool first = true;
                foreach (var (k, x) in m) { if (!first) sb.Append(", "); first = false; sb.Append(k).Append(": "); Append(sb, x); }
                sb.Append('}');
                break;
            case IReadOnlyList<object?> l:
                sb.Append('[');
                for (int i = 0; i < l.Count; i++) { if (i > 0) sb.Append(", "); Append(sb, l[i]); }
                sb.Append(']');
                break;
            default: sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture)); break;
        }
    }

    internal static bool IsInteger(object v) => v is int or long;
}
