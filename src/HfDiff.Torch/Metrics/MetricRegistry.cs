using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics.ClipIqa;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Metrics.Musiq;

namespace HfDiff.Torch.Metrics;

/// <summary>What the registry knows about one metric name (pyiqa's DEFAULT_CONFIGS: metric_mode, lower_better).</summary>
/// <param name="Name">pyiqa's metric name.</param>
/// <param name="Mode">Full-reference or no-reference.</param>
/// <param name="LowerIsBetter">pyiqa's <c>lower_better</c>.</param>
/// <param name="OptionsType">The options record the factory accepts as an override.</param>
/// <param name="Requires">Files the metric reads from the model directory with its defaults: each entry is satisfied by any one of its files.</param>
public sealed record MetricInfo(string Name, MetricMode Mode, bool LowerIsBetter, Type OptionsType, IReadOnlyList<ModelAsset[]>? Requires = null)
{
    /// <summary>The files the metric needs (never null).</summary>
    public IReadOnlyList<ModelAsset[]> RequiredFiles => Requires ?? [];
}

/// <summary>
/// Creates metrics by pyiqa name (<c>pyiqa.create_metric</c>). An options record, when given, replaces the defaults
/// that the name implies (e.g. <c>psnry</c> is PSNR with <c>TestYChannel = true</c>). Metrics with pretrained assets
/// read them from the model directory.
/// </summary>
public static class MetricRegistry
{
    sealed record Entry(MetricInfo Info, Func<ModelDirectory?, object?, IImageQualityMetric> Factory, Func<object> Defaults);

    static readonly Dictionary<string, Entry> Entries = new(StringComparer.OrdinalIgnoreCase);

    static MetricRegistry()
    {
        // One line per metric: name, mode, lower_better, factory(model directory, options or null), the name's default options.
        Add("psnr", MetricMode.FullReference, false, (_, o) => new Psnr(o ?? new PsnrOptions()), () => new PsnrOptions());
        Add("psnry", MetricMode.FullReference, false, (_, o) => new Psnr(o ?? new PsnrOptions { TestYChannel = true }), () => new PsnrOptions { TestYChannel = true });
        Add("ssim", MetricMode.FullReference, false, (_, o) => new Ssim(o ?? new SsimOptions()), () => new SsimOptions());
        Add("ssimc", MetricMode.FullReference, false, (_, o) => new Ssim(o ?? new SsimOptions { TestYChannel = false }), () => new SsimOptions { TestYChannel = false });
        Add("niqe", MetricMode.NoReference, true, (m, o) => Niqe.FromModelDirectory(m, o), () => new NiqeOptions(),
            [[KnownAssets.NiqeMatlabParams, KnownAssets.NiqeBasicSrParams]]);
        Add("lpips", MetricMode.FullReference, true, (m, o) => LpipsMetric.FromModelDirectory((o ?? new LpipsOptions()).Net, m), () => new LpipsOptions(),
            [[KnownAssets.TorchvisionAlexNet], [KnownAssets.LpipsAlexLinear]]);
        Add("lpips-vgg", MetricMode.FullReference, true, (m, o) => LpipsMetric.FromModelDirectory((o ?? new LpipsOptions { Net = LpipsNet.Vgg }).Net, m), () => new LpipsOptions { Net = LpipsNet.Vgg },
            [[KnownAssets.TorchvisionVgg16], [KnownAssets.LpipsVggLinear]]);
        Add("musiq", MetricMode.NoReference, false, (m, o) => MusiqMetric.FromFile((m ?? ModelDirectory.Resolve()).Require(KnownAssets.MusiqKoniq), o), () => new MusiqOptions(),
            [[KnownAssets.MusiqKoniq]]);
        Add("clipiqa", MetricMode.NoReference, false, (m, o) => new ClipIqaMetric(WithModels(o ?? new ClipIqaOptions(), m)), () => new ClipIqaOptions(),
            [[KnownAssets.ClipRn50], [KnownAssets.ClipBpeVocab]]);
        Add("clipiqa+", MetricMode.NoReference, false, (m, o) => new ClipIqaMetric(WithModels(o ?? new ClipIqaOptions { Variant = ClipIqaVariant.ClipIqaPlus }, m)),
            () => new ClipIqaOptions { Variant = ClipIqaVariant.ClipIqaPlus },
            [[KnownAssets.ClipRn50], [KnownAssets.ClipBpeVocab], [KnownAssets.ClipIqaPlusPrompts]]);
    }

    /// <summary>
    /// Registers a metric; <typeparamref name="TOptions"/> is the options record its factory accepts, <paramref name="requires"/>
    /// the model-directory files it reads with its defaults (each entry: any one of its files).
    /// </summary>
    public static void Add<TOptions>(string name, MetricMode mode, bool lowerIsBetter,
                                     Func<ModelDirectory?, TOptions?, IImageQualityMetric> factory, Func<TOptions> defaults,
                                     IReadOnlyList<ModelAsset[]>? requires = null) where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        var info = new MetricInfo(name, mode, lowerIsBetter, typeof(TOptions), requires);
        lock (Entries)
            Entries[name] = new Entry(info, (models, options) => factory(models, CastOptions<TOptions>(name, options)), defaults);
    }

    /// <summary>Registered names, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Entries) return Entries.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList(); }
    }

    public static bool IsRegistered(string name) { lock (Entries) return Entries.ContainsKey(name); }

    public static MetricInfo Describe(string name) => Get(name).Info;
    public static bool LowerIsBetter(string name) => Get(name).Info.LowerIsBetter;
    public static MetricMode ModeOf(string name) => Get(name).Info.Mode;

    /// <summary>Creates the metric <paramref name="name"/>; <paramref name="options"/> (the name's options record) overrides its defaults.</summary>
    public static IImageQualityMetric Create(string name, ModelDirectory? models = null, object? options = null) =>
        Get(name).Factory(models, options);

    /// <summary>
    /// Creates <paramref name="name"/> with pyiqa-style keyword settings (e.g. <c>test_y_channel=true</c>) applied to the
    /// name's defaults (see <see cref="MetricSettings"/>); no settings means the defaults.
    /// </summary>
    public static IImageQualityMetric Create(string name, IReadOnlyDictionary<string, string>? settings, ModelDirectory? models = null) =>
        Get(name).Factory(models, OptionsFor(name, settings));

    /// <summary>
    /// As <see cref="Create(string, IReadOnlyDictionary{string, string}?, ModelDirectory?)"/>, on <paramref name="device"/>
    /// (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>; see <see cref="IImageQualityMetric.MoveTo"/> for which metrics move).
    /// </summary>
    public static IImageQualityMetric Create(string name, IReadOnlyDictionary<string, string>? settings, ModelDirectory? models, string device)
    {
        var target = TorchDevices.Parse(device, nameof(device));
        var metric = Create(name, settings, models);
        if (target.type == TorchSharp.DeviceType.CPU) return metric;
        try { metric.MoveTo(target); return metric; }
        catch { metric.Dispose(); throw; }
    }

    /// <summary>The default settings of <paramref name="name"/> as pyiqa keyword arguments (snake_case name → value), in declaration order.</summary>
    public static IReadOnlyList<(string Key, string Value)> DefaultSettings(string name) => MetricSettings.Describe(Get(name).Defaults());

    /// <summary>The options record <paramref name="name"/> gets from <paramref name="settings"/> (validates keys and values without building the metric).</summary>
    public static object OptionsFor(string name, IReadOnlyDictionary<string, string>? settings) =>
        MetricSettings.Apply(name, Get(name).Defaults(), settings);

    static ClipIqaOptions WithModels(ClipIqaOptions o, ModelDirectory? m) =>
        o.ModelDirectory is null && m is not null ? o with { ModelDirectory = m.Root } : o;

    static Entry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Entries)
        {
            if (Entries.TryGetValue(name, out var e)) return e;
            throw new ArgumentException($"Unknown metric '{name}'. Known metrics: {string.Join(", ", Entries.Keys.OrderBy(k => k, StringComparer.Ordinal))}.", nameof(name));
        }
    }

    static TOptions? CastOptions<TOptions>(string name, object? options) where TOptions : class =>
        options switch
        {
            null => null,
            TOptions typed => typed,
            _ => throw new ArgumentException($"Options for metric '{name}' must be {typeof(TOptions).Name}; got {options.GetType().Name}.", nameof(options)),
        };
}
