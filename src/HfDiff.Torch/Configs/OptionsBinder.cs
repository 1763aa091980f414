using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HfDiff.Torch.Configs;

/// <summary>
/// The one way options are bound from outside text: a key is the snake_case name of a PascalCase property
/// (<c>num_res_blocks</c> ↔ <c>NumResBlocks</c>); values are converted invariantly by <see cref="TryConvert"/> from the plain
/// trees config files parse to (int/long/double/bool/string/null, lists, string-keyed dictionaries; JSON elements are
/// turned into those first) or from hand-typed strings; an unknown key or an unconvertible value is an error naming the
/// owner, the key, the value and what is allowed (for unknown keys: the known ones).
/// <list type="bullet">
/// <item><see cref="Bind{T}"/> sets the properties of an options record by name (metric settings, degradation options).</item>
/// <item><see cref="Reader"/> reads key by key where a signature has quirks the record does not show (Python constructor
/// kwargs with required keys and Python defaults, <c>int</c>-or-list arguments, the YAML diffusion section, the training YAML's
/// <c>train:</c>/<c>hfdiff:</c> sections).</item>
/// </list>
/// How strictly a value must match its type depends on where it comes from: see <see cref="ValueRules"/>.
/// </summary>
internal static class OptionsBinder
{
    /// <summary>The config key of a property or enum member: <c>NumResBlocks</c> → <c>num_res_blocks</c>, <c>UseFp16</c> → <c>use_fp16</c>.</summary>
    public static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A name with case and underscores ignored (<see cref="ValueRules.LooseNames"/>).</summary>
    static string Loose(string name) => name.Replace("_", "").ToLowerInvariant();

    /// <summary>The public settable instance properties of an options record, in declaration order.</summary>
    public static IReadOnlyList<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).OrderBy(p => p.MetadataToken).ToList();

    /// <summary>
    /// Returns a copy of the record <paramref name="options"/> with each key of <paramref name="values"/> set on the property
    /// of that snake_case name. Keys naming no property throw <see cref="BindingErrors.Unknown"/>; values that do not convert
    /// throw <see cref="BindingErrors.Invalid"/>.
    /// </summary>
    public static T Bind<T>(T options, IEnumerable<KeyValuePair<string, object?>> values, ValueRules rules, BindingErrors errors) where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var type = options.GetType();
        var clone = type.GetMethod("<Clone>$")?.Invoke(options, null) as T
            ?? throw new ArgumentException($"{type.Name} is not a record; options cannot be bound to it.", nameof(options));
        var dictionary = values as IReadOnlyDictionary<string, object?> ?? values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var reader = new Reader(dictionary, rules, errors);
        foreach (var property in Settable(type))
        {
            string key = SnakeCase(property.Name);
            if (reader.Has(key)) property.SetValue(clone, reader.Required(key, property.PropertyType));
            else reader.Known(key);
        }
        reader.ThrowOnUnused();
        return clone;
    }

    /// <summary>
    /// Converts one value to <paramref name="type"/> under <paramref name="rules"/>: int/long/short, double/float, bool, string,
    /// enums (by config name, see <see cref="EnumNames"/>), <c>(double, double)</c> from a two-number list, arrays and
    /// <c>IReadOnlyList&lt;T&gt;</c> of those, string-keyed dictionaries; <c>T?</c> also takes null.
    /// </summary>
    public static bool TryConvert(object? raw, Type type, ValueRules rules, out object? value)
    {
        value = null;
        if (raw is JsonElement json) raw = Plain(json);
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            if (raw is null) return true;
            type = inner;
        }
        if (raw is null) return false;
        if (raw is string text && rules.ParseText && type != typeof(string) && !type.IsEnum && !IsList(type, out _) && !IsRange(type))
            return TryParseText(text.Trim(), type, rules, out value);
        if (type == typeof(int)) return TryInteger(raw, int.MinValue, int.MaxValue, rules, out var i) && Set(out value, (int)i);
        if (type == typeof(long)) return TryInteger(raw, long.MinValue, long.MaxValue, rules, out var l) && Set(out value, l);
        if (type == typeof(short)) return TryInteger(raw, short.MinValue, short.MaxValue, rules, out var s) && Set(out value, (short)s);
        if (type == typeof(double)) return TryNumber(raw, out var d) && Set(out value, d);
        if (type == typeof(float)) return TryNumber(raw, out var f) && Set(out value, (float)f);
        if (type == typeof(bool))
            return raw is bool b ? Set(out value, b) : rules.PythonNumbers && TryNumber(raw, out var truth) && Set(out value, truth != 0);
        if (type == typeof(string)) return raw is string str && Set(out value, str);
        if (type.IsEnum) return raw is string name && TryEnum(name, type, rules, out value);
        if (IsRange(type))
        {
            if (!IsSequence(raw)) return false;
            var pair = ((IEnumerable)raw).Cast<object?>().ToList();
            if (pair.Count != 2 || !TryNumber(pair[0], out var min) || !TryNumber(pair[1], out var max)) return false;
            return Set(out value, (min, max));
        }
        if (IsList(type, out var element))
        {
            if (!IsSequence(raw)) return false;
            var items = ((IEnumerable)raw).Cast<object?>().ToList();
            var array = Array.CreateInstance(element, items.Count);
            for (int k = 0; k < items.Count; k++)
            {
                if (!TryConvert(items[k], element, rules, out var item)) return false;
                array.SetValue(item, k);
            }
            if (type.IsArray) return Set(out value, array);
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            foreach (var item in array) list.Add(item);
            return Set(out value, list);
        }
        if (type == typeof(IReadOnlyDictionary<string, object?>))
            return raw switch
            {
                IReadOnlyDictionary<string, object?> d => Set(out value, d),
                IDictionary d => Set(out value, d.Keys.Cast<object>().ToDictionary(k => System.Convert.ToString(k, CultureInfo.InvariantCulture)!, k => d[k], StringComparer.Ordinal)),
                _ => false,
            };
        return false;
    }

    /// <summary>What a value of <paramref name="type"/> must be, for messages ("an integer", "one of iso, aniso", …).</summary>
    public static string Expected(Type type, ValueRules rules)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner) return Expected(inner, rules) + " or null";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "an integer";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a string";
        if (type.IsEnum) return "one of " + string.Join(", ", EnumNames(type));
        if (IsRange(type)) return "[min, max] (two numbers)";
        if (type == typeof(IReadOnlyDictionary<string, object?>)) return "a dictionary";
        if (IsList(type, out var element))
            return "a list of " + (element == typeof(int) || element == typeof(long) ? "integers"
                : element == typeof(double) || element == typeof(float) ? "numbers"
                : element == typeof(string) ? "strings"
                : element.IsEnum ? "names (" + string.Join(", ", EnumNames(element)) + ")"
                : element.Name);
        return type.Name;
    }

    /// <summary>
    /// The config names of an enum's members, in declaration order: a member's <see cref="JsonStringEnumMemberNameAttribute"/>
    /// (the reference's spelling, e.g. <c>xstart</c>, <c>ycbcr</c>) if it has one, else its snake_case name.
    /// </summary>
    public static IReadOnlyList<string> EnumNames(Type enumType) => enumType.GetFields(BindingFlags.Public | BindingFlags.Static).Select(ConfigName).ToList();

    /// <summary>The config name of one enum value (see <see cref="EnumNames"/>).</summary>
    public static string ConfigName(Enum value) => value.GetType().GetField(value.ToString()) is { } member ? ConfigName(member) : value.ToString();

    static string ConfigName(FieldInfo member) => member.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? SnakeCase(member.Name);

    /// <summary>A value as messages show it (strings quoted, lists in brackets, null as <c>null</c>).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "null",
        JsonElement e => e.GetRawText(),
        // An integral float keeps its point, so "must be an integer; got 4.0" reads as written.
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => d.ToString("0.0", CultureInfo.InvariantCulture),
        IReadOnlyDictionary<string, object?> or IReadOnlyList<object?> or string or bool or double or int or long => ConfigValues.Format(value),
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Describe)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? value.GetType().Name,
    };

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
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    static bool Set<TValue>(out object? value, TValue v)
    {
        value = v;
        return true;
    }

    static bool TryParseText(string text, Type type, ValueRules rules, out object? value)
    {
        value = null;
        if (type == typeof(bool))
        {
            switch (text.ToLowerInvariant())
            {
                case "true": return Set(out value, true);
                case "false": return Set(out value, false);
                // Settings typed by hand also take the words pyiqa's argument parsing and YAML 1.1 take.
                case "1" or "yes" when rules.LooseNames: return Set(out value, true);
                case "0" or "no" when rules.LooseNames: return Set(out value, false);
                default:
                    return rules.PythonNumbers && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var truth) && Set(out value, truth != 0);
            }
        }
        if (type == typeof(int)) return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? Set(out value, i) : TryWholeText(text, int.MinValue, int.MaxValue, rules, out var wi) && Set(out value, (int)wi);
        if (type == typeof(long)) return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? Set(out value, l) : TryWholeText(text, long.MinValue, long.MaxValue, rules, out var wl) && Set(out value, wl);
        if (type == typeof(short)) return short.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? Set(out value, s) : TryWholeText(text, short.MinValue, short.MaxValue, rules, out var ws) && Set(out value, (short)ws);
        if (type == typeof(double)) return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Set(out value, d);
        if (type == typeof(float)) return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && Set(out value, f);
        return false;
    }

    /// <summary>Integer text written as a whole float (<c>1e5</c>, <c>4.0</c>) under <see cref="ValueRules.PythonNumbers"/>.</summary>
    static bool TryWholeText(string text, long min, long max, ValueRules rules, out long value)
    {
        value = 0;
        if (!rules.PythonNumbers || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            || d != Math.Floor(d) || d < min || d > max) return false;
        value = (long)d;
        return true;
    }

    static bool TryInteger(object raw, long min, long max, ValueRules rules, out long value)
    {
        value = 0;
        switch (raw)
        {
            case int i: value = i; break;
            case long l: value = l; break;
            case short s: value = s; break;
            case byte b: value = b; break;
            case double d when rules.IntegralFloats && d == Math.Floor(d) && Math.Abs(d) <= max: value = (long)d; break;
            case float f when rules.IntegralFloats && f == MathF.Floor(f) && Math.Abs(f) <= max: value = (long)f; break;
            case decimal m when rules.IntegralFloats && m == decimal.Floor(m) && Math.Abs(m) <= max: value = (long)m; break;
            default: return false;
        }
        return value >= min && value <= max;
    }

    static bool TryNumber(object? raw, out double value)
    {
        switch (raw)
        {
            case double d: value = d; return true;
            case float f: value = f; return true;
            case int i: value = i; return true;
            case long l: value = l; return true;
            case short s: value = s; return true;
            case decimal m: value = (double)m; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>An enum by config name; under <see cref="ValueRules.LooseNames"/> also by member name, case and underscores ignored.</summary>
    static bool TryEnum(string name, Type type, ValueRules rules, out object? value)
    {
        foreach (var member in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            bool match = string.Equals(ConfigName(member), name, StringComparison.Ordinal)
                         || rules.LooseNames && (Loose(member.Name) == Loose(name.Trim()) || Loose(ConfigName(member)) == Loose(name.Trim()));
            if (match) return Set(out value, member.GetValue(null));
        }
        value = null;
        return false;
    }

    static bool IsRange(Type type) => type == typeof((double, double));

    static bool IsList(Type type, out Type element)
    {
        element = typeof(object);
        if (type.IsArray) { element = type.GetElementType()!; return true; }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(List<>) || g == typeof(IEnumerable<>)))
        {
            element = type.GetGenericArguments()[0];
            return true;
        }
        return false;
    }

    static bool IsSequence(object? v) => v is IEnumerable and not string and not IDictionary && v is not IReadOnlyDictionary<string, object?>;

    /// <summary>
    /// Reads a key/value dictionary key by key. Every getter records its key as known (for the unknown-key message) and,
    /// when present, as used; <see cref="ThrowOnUnused"/> then refuses the keys no getter asked for (Python's TypeError for an
    /// unexpected keyword argument).
    /// </summary>
    public sealed class Reader
    {
        readonly IReadOnlyDictionary<string, object?> _values;
        readonly Dictionary<string, string> _byLooseName = new(StringComparer.Ordinal);
        readonly HashSet<string> _used = new(StringComparer.Ordinal);
        readonly List<string> _known = [];
        readonly ValueRules _rules;
        readonly BindingErrors _errors;

        public Reader(IReadOnlyDictionary<string, object?> values, ValueRules rules, BindingErrors errors)
        {
            ArgumentNullException.ThrowIfNull(values);
            _values = values;
            _rules = rules;
            _errors = errors;
            if (rules.LooseNames)
                foreach (var key in values.Keys) _byLooseName.TryAdd(Loose(key), key);
        }

        /// <summary>Python constructor kwargs read by <c>owner</c> (kwargs messages, <see cref="ValueRules.PythonKwargs"/>).</summary>
        public Reader(IReadOnlyDictionary<string, object?> kwargs, string owner) : this(kwargs, ValueRules.PythonKwargs, BindingErrors.Kwargs(owner)) { }

        /// <summary>The key as the input spells it (under <see cref="ValueRules.LooseNames"/> any spelling that matches), or null.</summary>
        string? Actual(string key) =>
            _values.ContainsKey(key) ? key : _rules.LooseNames && _byLooseName.TryGetValue(Loose(key), out var actual) ? actual : null;

        public bool Has(string key) => Actual(key) is not null;

        /// <summary>Records <paramref name="key"/> as one this reader understands (listed in the unknown-key message).</summary>
        public void Known(string key)
        {
            if (!_known.Contains(key)) _known.Add(key);
        }

        /// <summary>Keys that no getter asked for.</summary>
        public IEnumerable<string> UnusedKeys => _values.Keys.Where(k => !_used.Contains(k));

        public void ThrowOnUnused()
        {
            var extra = UnusedKeys.ToList();
            if (extra.Count > 0) throw _errors.Unknown(extra, _known);
        }

        /// <summary>The raw value of a present key (marks it used).</summary>
        public object? Raw(string key)
        {
            Known(key);
            var actual = Actual(key) ?? throw _errors.Missing(key);
            _used.Add(actual);
            return _values[actual];
        }

        /// <summary>The value of <paramref name="key"/>, or <paramref name="fallback"/> when it is absent.</summary>
        public T Get<T>(string key, T fallback)
        {
            Known(key);
            return Has(key) ? (T)Required(key, typeof(T))! : fallback;
        }

        /// <summary>The value of <paramref name="key"/>, or default when it is absent or null.</summary>
        public T? Optional<T>(string key)
        {
            Known(key);
            return Has(key) && Raw(key) is not (null or JsonElement { ValueKind: JsonValueKind.Null }) ? (T)Required(key, typeof(T))! : default;
        }

        /// <summary>A nested dictionary (a <c>ddconfig:</c> or <c>train:</c> section).</summary>
        public IReadOnlyDictionary<string, object?> Dictionary(string key) => Required<IReadOnlyDictionary<string, object?>>(key);

        /// <summary>The value of <paramref name="key"/>; absent is <see cref="BindingErrors.Missing"/>.</summary>
        public T Required<T>(string key) => (T)Required(key, typeof(T))!;

        public object? Required(string key, Type type)
        {
            var raw = Raw(key);
            return TryConvert(raw, type, _rules, out var value) ? value : throw _errors.Invalid(Actual(key) ?? key, raw, Expected(type, _rules));
        }

        /// <summary>
        /// An int or a list of ints; an int is repeated <paramref name="count"/> times.
        /// PORT-QUIRK: the reference's <c>isinstance(num_res_blocks, int)</c> branch.
        /// </summary>
        public int[] IntOrList(string key, int count)
        {
            var raw = Raw(key);
            if (IsSequence(raw) || raw is JsonElement { ValueKind: JsonValueKind.Array }) return Required<int[]>(key);
            return Enumerable.Repeat(Required<int>(key), count).ToArray();
        }

        /// <summary>
        /// A value, or the first entry of a list of them; <paramref name="fallback"/> when absent.
        /// PORT-QUIRK: ResShift/SinSR's <c>batch: [train, val]</c>, of which the trainer uses <c>batch[0]</c>.
        /// </summary>
        public T FirstOrSingle<T>(string key, T fallback)
        {
            Known(key);
            if (!Has(key)) return fallback;
            var raw = Raw(key);
            if (raw is JsonElement json) raw = Plain(json);
            if (!IsSequence(raw)) return Required<T>(key);
            var first = ((IEnumerable)raw!).Cast<object?>().Take(1).ToList();
            return first.Count == 1 && TryConvert(first[0], typeof(T), _rules, out var value)
                ? (T)value!
                : throw _errors.Invalid(Actual(key) ?? key, raw, $"{Expected(typeof(T), _rules)} or a list whose first entry is one");
        }

        /// <summary>
        /// A number, or a boolean read as 1/0; <paramref name="fallback"/> when absent.
        /// PORT-QUIRK: SinSR's <c>finetune_use_gt</c>, a probability the official configs also write as <c>True</c>.
        /// </summary>
        public double NumberOrBool(string key, double fallback)
        {
            Known(key);
            if (!Has(key)) return fallback;
            var raw = Raw(key);
            if (TryConvert(raw, typeof(double), _rules, out var number)) return (double)number!;
            if (TryConvert(raw, typeof(bool), _rules, out var flag)) return (bool)flag! ? 1 : 0;
            throw _errors.Invalid(Actual(key) ?? key, raw, "a number or true/false");
        }

        /// <summary>
        /// A string naming one of <paramref name="choices"/> (aliases allowed, trimmed, case ignored); <paramref name="fallback"/>
        /// when absent. For switches whose spellings are not one name per enum member.
        /// </summary>
        public T Choice<T>(string key, T fallback, params (string Name, T Value)[] choices)
        {
            Known(key);
            if (!Has(key)) return fallback;
            var raw = Raw(key);
            if (raw is JsonElement json) raw = Plain(json);
            if (raw is string name)
                foreach (var (n, v) in choices)
                    if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
            throw _errors.Invalid(Actual(key) ?? key, raw, "one of " + string.Join(", ", choices.Select(c => c.Name)));
        }
    }
}

/// <summary>
/// How strictly a value must match the type it is bound to, by where values come from. Each preset names its source.
/// </summary>
/// <param name="ParseText">Strings are parsed as numbers and booleans (invariant culture), as when every value arrives as text.</param>
/// <param name="IntegralFloats">A float with no fraction binds to an integer (<c>4.0</c> → 4).</param>
/// <param name="LooseNames">Keys and enum names match ignoring case and underscores (enums also by member name); booleans also take 1/0/yes/no.</param>
/// <param name="PythonNumbers">
/// Numbers are read as Python's <c>float()</c> reads them: a boolean also takes any number by its truthiness (non-zero is
/// true: the official <c>learn_xT: 1</c>), and under <see cref="ParseText"/> an integer also takes whole-float text
/// (<c>iterations: 1e5</c>, <c>4.0</c>; typed floats need <see cref="IntegralFloats"/>).
/// </param>
internal sealed record ValueRules(bool ParseText, bool IntegralFloats, bool LooseNames, bool PythonNumbers = false)
{
    /// <summary>
    /// YAML scalars already typed by the core schema (the official configs): an int key takes only an integer, a number an
    /// integer or float, a boolean only true/false, a string only a string.
    /// </summary>
    public static readonly ValueRules TypedYaml = new(ParseText: false, IntegralFloats: false, LooseNames: false);

    /// <summary>JSON values, taken by their JSON type; keys and enum names spelled loosely (<c>resize_prob</c> = <c>ResizeProb</c>).</summary>
    public static readonly ValueRules Json = new(ParseText: false, IntegralFloats: false, LooseNames: true);

    /// <summary>
    /// Python constructor kwargs from config.json or a YAML <c>params:</c> section that may arrive untyped: numbers and
    /// booleans may be strings and an integer may be written as an integral float, as Python's int() would accept.
    /// </summary>
    public static readonly ValueRules PythonKwargs = new(ParseText: true, IntegralFloats: true, LooseNames: false);

    /// <summary>Settings typed by hand as <c>key=value</c> (CLI, ML.NET options, saved models): all text, loosely spelled.</summary>
    public static readonly ValueRules Settings = new(ParseText: true, IntegralFloats: false, LooseNames: true);

    /// <summary>
    /// The <c>train:</c> and <c>hfdiff:</c> sections of a training YAML (<c>TrainingConfig</c>), read by each scalar's text as
    /// this port always has (quoting ignored, so <c>'1e-4'</c> is a number), numbers as Python reads them (<see cref="PythonNumbers"/>:
    /// <c>learn_xT: 1</c>, <c>iterations: 1e5</c>); names are exact.
    /// </summary>
    public static readonly ValueRules TrainingYaml = new(ParseText: true, IntegralFloats: true, LooseNames: false, PythonNumbers: true);
}

/// <summary>The messages a binding source gives for a missing key, an unconvertible value and unknown keys.</summary>
internal sealed record BindingErrors(
    Func<string, Exception> Missing,
    Func<string, object?, string, Exception> Invalid,
    Func<IReadOnlyList<string>, IReadOnlyList<string>, Exception> Unknown)
{
    /// <summary>Python-style messages for constructor kwargs: "<c>owner: 'key' must be an integer; got 'x'.</c>".</summary>
    public static BindingErrors Kwargs(string owner) => new(
        key => new ArgumentException($"{owner}: missing required argument '{key}'."),
        (key, value, expected) => new ArgumentException($"{owner}: '{key}' must be {expected}; got {OptionsBinder.Describe(value)}."),
        (keys, known) => new ArgumentException(
            $"{owner}: unexpected keyword argument(s) {string.Join(", ", keys.Select(k => $"'{k}'"))}." +
            (known.Count > 0 ? $" Known: {string.Join(", ", known)}." : "")));
}
