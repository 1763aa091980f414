namespace HfDiff.MLNet.ImageQuality;

/// <summary>Result of <see cref="ImageQualityCatalog.Evaluate"/>: means and per-row scores by column name.</summary>
public sealed class ImageQualityMetrics
{
    public ImageQualityMetrics(IReadOnlyDictionary<string, IReadOnlyList<double>> perRow)
    {
        PerRow = perRow;
        Mean = perRow.ToDictionary(kv => kv.Key, kv => kv.Value.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average());
        NaNCount = perRow.ToDictionary(kv => kv.Key, kv => kv.Value.Count(double.IsNaN));
        RowCount = perRow.Values.FirstOrDefault()?.Count ?? 0;
    }

    public IReadOnlyDictionary<string, double> Mean { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<double>> PerRow { get; }
    public IReadOnlyDictionary<string, int> NaNCount { get; }
    public int RowCount { get; }
}
