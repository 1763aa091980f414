// Reads the official ResShift / SinSR YAML configs (zsyOAOA/ResShift configs/realsr_swinunet_realesrgan256.yaml,
// wyf0912/SinSR configs/SinSR.yaml): sections model / diffusion / autoencoder, each {target, params, ...}, as OmegaConf
// would load them for util_common.instantiate_from_config.
using System.Globalization;
using System.Text.RegularExpressions;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Schedules;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace HfDiff.Torch.Configs;

/// <summary>
/// Parses ResShift/SinSR YAML configs into <see cref="SrConfig"/>. Unknown sections and keys are tolerated; malformed YAML,
/// a missing section/target or a wrongly typed diffusion value raise <see cref="SrConfigException"/> naming file and line.
/// The diffusion params bind through <see cref="OptionsBinder"/> like every other option set.
/// </summary>
public static partial class SrConfigReader
{
    /// <summary>The diffusion factory the typed options describe.</summary>
    public const string GaussianDiffusionTarget = "models.script_util.create_gaussian_diffusion";

    /// <summary>Largest config file read (the official ones are a few kilobytes).</summary>
    public const long MaxFileBytes = 1L << 20;
    /// <summary>Deepest nesting of mappings and sequences accepted (the official configs nest four levels).</summary>
    public const int MaxDepth = 64;
    /// <summary>Most values a config may expand to, aliases included (guards against "billion laughs" alias bombs).</summary>
    public const int MaxValues = 100_000;
    /// <summary>Largest <c>diffusion.params.steps</c> accepted (the official configs use 15 or 1000).</summary>
    public const int MaxSteps = 100_000;

    /// <summary>Reads a YAML file.</summary>
    public static SrConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path) && RegularFile.Check(path) == false)
            throw new SrConfigException(path, null, "not a regular file (a FIFO, device or socket); give the YAML file itself.");
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
                throw new SrConfigException(path, null, $"the file has {info.Length} bytes; a config is a few kilobytes (at most {MaxFileBytes} are read).");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SrConfigException(path, null, $"cannot read the config file ({e.Message}).", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> is used in error messages and <see cref="SrConfig.Source"/>.</summary>
    public static SrConfig Parse(string yaml, string sourceName = "<yaml>")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            CheckDepth(yaml, sourceName);
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new SrConfigException(sourceName, (int)e.Start.Line, $"malformed YAML at column {e.Start.Column}: {Innermost(e).Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner sometimes fails with a plain exception; report where it stopped.
            var at = scanner.CurrentPosition;
            throw new SrConfigException(sourceName, (int)at.Line, $"malformed YAML near column {at.Column}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0)
            throw new SrConfigException(sourceName, null, "the file is empty; expected a mapping with 'model', 'diffusion' and 'autoencoder'.");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SrConfigException(sourceName, Line(stream.Documents[0].RootNode), "the top level must be a mapping with 'model', 'diffusion' and 'autoencoder'.");

        var reader = new Reader(sourceName);
        var model = reader.Component(root, "model", required: true)!;
        var diffusionNode = reader.Section(root, "diffusion", required: true)!;
        string diffusionTarget = reader.Target(diffusionNode, "diffusion");
        if (diffusionTarget != GaussianDiffusionTarget)
            throw new SrConfigException(sourceName, Line(diffusionNode),
                $"diffusion.target '{diffusionTarget}' is not supported; expected '{GaussianDiffusionTarget}'.");
        var diffusionParams = reader.Params(diffusionNode, "diffusion");
        return new SrConfig
        {
            Source = sourceName,
            Model = model,
            DiffusionTarget = diffusionTarget,
            Diffusion = reader.Diffusion(diffusionParams.Node, diffusionParams.Values, "diffusion.params"),
            DiffusionParams = diffusionParams.Values,
            Autoencoder = reader.Component(root, "autoencoder", required: false),
        };
    }

    /// <summary>
    /// Walks the parser's events (iteratively) before the recursive node builder sees them, so deeply nested input is a
    /// one-line error instead of a stack overflow.
    /// </summary>
    static void CheckDepth(string yaml, string sourceName)
    {
        var parser = new Parser(new StringReader(yaml));
        int depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > MaxDepth)
                            throw new SrConfigException(sourceName, (int)parser.Current.Start.Line, $"mappings and lists are nested more than {MaxDepth} levels deep.");
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // A syntax error before any deep nesting: the real load meets it at the same place and reports it with its line.
        }
    }

    static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
    static int Line(YamlNode node) => (int)node.Start.Line;

    sealed class Reader(string source)
    {
        int _values;

        SrConfigException Error(YamlNode? node, string problem) => new(source, node is null ? null : Line(node), problem);

        public YamlMappingNode? Section(YamlMappingNode root, string name, bool required)
        {
            if (!root.Children.TryGetValue(new YamlScalarNode(name), out var node) || IsNull(node))
            {
                if (required) throw Error(root, $"the '{name}' section is missing.");
                return null;
            }
            return node as YamlMappingNode ?? throw Error(node, $"'{name}' must be a mapping with 'target' and 'params'.");
        }

        public string Target(YamlMappingNode section, string name)
        {
            if (!section.Children.TryGetValue(new YamlScalarNode("target"), out var node))
                throw Error(section, $"'{name}.target' is missing.");
            return node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(node, $"'{name}.target' must be a class path string.");
        }

        public (YamlMappingNode? Node, IReadOnlyDictionary<string, object?> Values) Params(YamlMappingNode section, string name)
        {
            if (!section.Children.TryGetValue(new YamlScalarNode("params"), out var node) || IsNull(node))
                return (null, new Dictionary<string, object?>());
            if (node is not YamlMappingNode map) throw Error(node, $"'{name}.params' must be a mapping.");
            return (map, (IReadOnlyDictionary<string, object?>)Convert(map, $"{name}.params")!);
        }

        public SrComponentConfig? Component(YamlMappingNode root, string name, bool required)
        {
            var section = Section(root, name, required);
            if (section is null) return null;
            string target = Target(section, name);
            var parameters = Params(section, name).Values;
            var settings = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in section.Children)
            {
                string key = KeyOf(k, name);
                if (key is "target" or "params") continue;
                settings[key] = Convert(v, $"{name}.{key}");
            }
            return new SrComponentConfig(target, parameters, settings);
        }

        /// <summary>
        /// Typed diffusion params, bound by <see cref="OptionsBinder"/> from the converted <paramref name="values"/> under
        /// <see cref="ValueRules.TypedYaml"/>; absent keys take create_gaussian_diffusion's Python defaults; unknown keys are
        /// tolerated. Errors name the key's line.
        /// </summary>
        public ResShiftScheduleOptions Diffusion(YamlMappingNode? p, IReadOnlyDictionary<string, object?> values, string path)
        {
            var r = Binder(p, values, path);
            bool normalize = r.Required<bool>("normalize_input");
            string scheduleName = r.Required<string>("schedule_name");
            // PORT-QUIRK(ResShift models/script_util.py): power sits in schedule_kwargs, and only the exponential schedule needs it.
            double power = new ResShiftScheduleOptions().Power;
            if (Node(p, "schedule_kwargs") is { } kw && !IsNull(kw))
            {
                if (kw is not YamlMappingNode kwMap) throw Error(kw, $"'{path}.schedule_kwargs' must be a mapping.");
                var k = Binder(kwMap, r.Dictionary("schedule_kwargs"), $"{path}.schedule_kwargs");
                if (k.Has("power")) power = k.Required<double>("power");
                else if (scheduleName == "exponential") throw Error(kw, $"'{path}.schedule_kwargs.power' is missing (needed by the exponential schedule).");
            }
            else if (scheduleName == "exponential") throw Error(p, $"'{path}.schedule_kwargs.power' is missing (needed by the exponential schedule).");

            var predict = r.Get("predict_type", ResShiftPredictType.XStart);
            int steps = r.Get("steps", 1000);
            if (steps < 1 || steps > MaxSteps)
                throw Error(Node(p, "steps"), $"'{path}.steps' must be in [1, {MaxSteps}]; got {steps}.");
            var respacing = r.Get<int?>("timestep_respacing", null);
            if (Node(p, "scale_factor") is { } sn && IsNull(sn))
                throw Error(sn, $"'{path}.scale_factor' is null; the latent samplers need a number (the official configs use 1.0).");

            // Python defaults of models.script_util.create_gaussian_diffusion for absent keys.
            return new ResShiftScheduleOptions
            {
                NormalizeInput = normalize,
                ScheduleName = scheduleName,
                Sf = r.Get("sf", 4),
                MinNoiseLevel = r.Get("min_noise_level", 0.01),
                Steps = steps,
                Kappa = r.Get("kappa", 1.0),
                EtasEnd = r.Get("etas_end", 0.99),
                Power = power,
                WeightedMse = r.Get("weighted_mse", false),
                PredictType = predict,
                TimestepRespacing = respacing,
                ScaleFactor = r.Get("scale_factor", 1.0),
                LatentFlag = r.Get("latent_flag", true),
            };
        }

        static YamlNode? Node(YamlMappingNode? map, string key) =>
            map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;

        /// <summary>A binder over one mapping whose errors carry the line of the offending key (or of the mapping).</summary>
        OptionsBinder.Reader Binder(YamlMappingNode? map, IReadOnlyDictionary<string, object?> values, string path) =>
            new(values, ValueRules.TypedYaml, new BindingErrors(
                key => Error(map, $"'{path}.{key}' is missing (create_gaussian_diffusion has no default for it)."),
                (key, value, expected) => Error(Node(map, key) ?? map, $"'{path}.{key}' must be {expected}; got {OptionsBinder.Describe(value)}."),
                (keys, known) => Error(map, $"'{path}' has unknown key(s) {string.Join(", ", keys.Select(k => $"'{k}'"))}; known: {string.Join(", ", known)}.")));

        string KeyOf(YamlNode key, string path) =>
            key is YamlScalarNode { Value: { } s } ? s : throw Error(key, $"'{path}' has a non-string key.");

        public object? Convert(YamlNode node, string path)
        {
            // Aliases are expanded into copies here: count the values so an alias bomb stops early.
            if (++_values > MaxValues)
                throw Error(node, $"the config expands to more than {MaxValues} values (aliases repeating aliases?).");
            switch (node)
            {
                case YamlScalarNode s:
                    return Scalar(s);
                case YamlSequenceNode seq:
                    return seq.Children.Select((c, i) => Convert(c, $"{path}[{i}]")).ToList();
                case YamlMappingNode map:
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var (k, v) in map.Children)
                    {
                        string key = KeyOf(k, path);
                        if (d.ContainsKey(key)) throw Error(k, $"'{path}.{key}' is given twice.");
                        d[key] = Convert(v, $"{path}.{key}");
                    }
                    return d;
                default:
                    throw Error(node, $"'{path}' has an unsupported YAML node ({node.NodeType}).");
            }
        }
    }

    static bool IsNull(YamlNode node) => node is YamlScalarNode s && s.Style == ScalarStyle.Plain && IsNullText(s.Value);
    static bool IsNullText(string? v) => v is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>YAML core-schema resolution of plain scalars (as OmegaConf/PyYAML for the values these configs use); quoted → string.</summary>
    static object? Scalar(YamlScalarNode s)
    {
        string? v = s.Value;
        string tag = s.Tag.IsEmpty ? "" : s.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" or "!!str") return v ?? "";
        if (s.Style != ScalarStyle.Plain) return v ?? "";
        if (IsNullText(v)) return null;
        if (v is "true" or "True" or "TRUE") return true;
        if (v is "false" or "False" or "FALSE") return false;
        if (IntPattern().IsMatch(v!))
        {
            if (int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i)) return i;
            if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
            return double.Parse(v!, CultureInfo.InvariantCulture);
        }
        if (FloatPattern().IsMatch(v!)) return double.Parse(v!, NumberStyles.Float, CultureInfo.InvariantCulture);
        switch (v)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf": return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF": return double.NegativeInfinity;
            case ".nan" or ".NaN" or ".NAN": return double.NaN;
        }
        return v;
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
