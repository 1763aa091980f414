namespace HfDiff.MLNet.SuperResolution;

/// <summary>One model's scores in a <see cref="SuperResolutionComparison"/>.</summary>
public sealed class SuperResolutionModelMetrics
{
    internal SuperResolutionModelMetrics(string model, IReadOnlyDictionary<string, IReadOnlyList<double>> perRow)
    {
        Model = model;
        PerRow = perRow;
        Mean = perRow.ToDictionary(kv => kv.Key, kv => kv.Value.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average(), StringComparer.OrdinalIgnoreCase);
        RowCount = perRow.Values.FirstOrDefault()?.Count ?? 0;
    }

    public string Model { get; }
    /// <summary>Mean per metric over the rows (NaN rows left out).</summary>
    public IReadOnlyDictionary<string, double> Mean { get; }
    /// <summary>Per-row scores per metric, in row order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> PerRow { get; }
    public int RowCount { get; }

    public double Psnr => Get("psnr");
    public double Ssim => Get("ssim");
    public double Lpips => Get("lpips");
    public double Niqe => Get("niqe");
    public double Musiq => Get("musiq");
    public double ClipIqa => Get("clipiqa");

    double Get(string metric) => Mean.TryGetValue(metric, out var v) ? v : double.NaN;
}

/// <summary>
/// Result of comparing several SR models on one IDataView, in the manner of AutoML's experiment results: every model's
/// metrics, and the best model for a chosen metric (respecting whether lower or higher is better).
/// </summary>
public sealed class SuperResolutionComparison
{
    internal SuperResolutionComparison(IReadOnlyList<string> metrics, IReadOnlyList<SuperResolutionModelMetrics> models)
    {
        Metrics = metrics;
        Models = models;
    }

    public IReadOnlyList<string> Metrics { get; }
    public IReadOnlyList<SuperResolutionModelMetrics> Models { get; }

    public SuperResolutionModelMetrics this[string model] =>
        Models.FirstOrDefault(m => m.Model == model) ?? throw new KeyNotFoundException($"No model named '{model}' in this comparison.");

    /// <summary>Models sorted best first by <paramref name="metric"/> (models without a value last).</summary>
    public IReadOnlyList<SuperResolutionModelMetrics> RankBy(string metric)
    {
        if (!Metrics.Contains(metric, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"'{metric}' was not evaluated; evaluated: {string.Join(", ", Metrics)}.", nameof(metric));
        bool lower = Torch.Metrics.MetricRegistry.LowerIsBetter(metric);
        return Models.OrderBy(m => double.IsNaN(m.Mean[metric]) ? 1 : 0).ThenBy(m => lower ? m.Mean[metric] : -m.Mean[metric]).ToList();
    }

    /// <summary>The best model by <paramref name="metric"/>, as AutoML's <c>BestRun</c>.</summary>
    public SuperResolutionModelMetrics Best(string metric) => RankBy(metric)[0];
}
