namespace HfDiff.Torch.Evaluation;

public sealed record EvalModelInfo(string Name, string Description, long? Parameters, bool Computes);
public sealed record EvalDatasetInfo(string Name, string LrDir, string? GtDir, int Images);
public sealed record EvalMetricInfo(string Name, bool LowerIsBetter, bool FullReference);
/// <summary>A metric left out, for every dataset (<see cref="Dataset"/> null) or for one, and why.</summary>
public sealed record EvalSkip(string Metric, string? Dataset, string Reason);
/// <summary>Mean of a metric over the images scored, and how many those were.</summary>
public sealed record EvalMean(double Mean, int Count);
/// <summary>One row of the inference-time table (the papers' Table 5 layout).</summary>
public sealed record EvalTimingRow(string Model, long? Parameters, int? Steps, int LrSize, int Scale, double MedianSeconds,
                                   double MinSeconds, double MaxSeconds, int Runs, double? PeakRssGb, string Device);
/// <summary>An image that could not be super-resolved or scored.</summary>
public sealed record EvalFailure(string Dataset, string Model, string Image, string Message);

/// <summary>Everything the tables and the report show.</summary>
public sealed record EvalResults
{
    public IReadOnlyList<EvalDatasetInfo> Datasets { get; init; } = [];
    public IReadOnlyList<EvalModelInfo> Models { get; init; } = [];
    public IReadOnlyList<EvalMetricInfo> Metrics { get; init; } = [];
    /// <summary>[model][dataset][metric].</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, EvalMean>>> Means { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, EvalMean>>>();
    public IReadOnlyList<EvalSkip> Skipped { get; init; } = [];
    public IReadOnlyList<EvalTimingRow> Timing { get; init; } = [];
    public IReadOnlyList<EvalFailure> Failures { get; init; } = [];

    public EvalMean? Mean(string model, string dataset, string metric) =>
        Means.TryGetValue(model, out var d) && d.TryGetValue(dataset, out var m) && m.TryGetValue(metric, out var v) ? v : null;
}
