using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Metrics;

/// <summary>What the registry knows about one metric name (pyiqa's DEFAULT_CONFIGS: metric_mode, lower_better).</summary>
/// <param name="Name">pyiqa's metric name.</param>
/// <param name="Mode">Full-reference or no-reference.</param>
/// <param name="LowerIsBetter">pyiqa's <c>lower_better</c>.</param>
/// <param name="OptionsType">The options record the factory accepts as an override.</param>
public sealed record MetricInfo(string Name, MetricMode Mode, bool LowerIsBetter, Type OptionsType);

/// <summary>
/// Creates metrics by pyiqa name (<c>pyiqa.create_metric</c>). An options record, when given, replaces the defaults
/// that the name implies (e.g. <c>psnry</c> is PSNR with <c>TestYChannel = true</c>). Metrics with pretrained assets
/// read them from the model directory.
/// </summary>
public static class MetricRegistry
{
    sealed record Entry(MetricInfo Info, Func<ModelDirectory?, object?, IImageQualityMetric> Factory);

    static readonly Dictionary<string, Entry> Entries = new(StringComparer.OrdinalIgnoreCase);

    static MetricRegistry()
    {
        // One line per metric: name, mode, lower_better, factory(model directory, options or null).
        Add<PsnrOptions>("psnr", MetricMode.FullReference, false, (_, o) => new Psnr(o ?? new PsnrOptions()));
        Add<PsnrOptions>("psnry", MetricMode.FullReference, false, (_, o) => new Psnr(o ?? new PsnrOptions { TestYChannel = true }));
        Add<SsimOptions>("ssim", MetricMode.FullReference, false, (_, o) => new Ssim(o ?? new SsimOptions()));
        Add<SsimOptions>("ssimc", MetricMode.FullReference, false, (_, o) => new Ssim(o ?? new SsimOptions { TestYChannel = false }));
        Add<NiqeOptions>("niqe", MetricMode.NoReference, true, (m, o) => Niqe.FromModelDirectory(m, o));
    }

    /// <summary>Registers a metric; <typeparamref name="TOptions"/> is the options record its factory accepts.</summary>
    public static void Add<TOptions>(string name, MetricMode mode, bool lowerIsBetter,
                                     Func<ModelDirectory?, TOptions?, IImageQualityMetric> factory) where TOptions : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        var info = new MetricInfo(name, mode, lowerIsBetter, typeof(TOptions));
        lock (Entries)
            Entries[name] = new Entry(info, (models, options) => factory(models, CastOptions<TOptions>(name, options)));
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
