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
        Columns = perRow.Select(kv => new ImageQualityColumnMetrics(kv.Key, kv.Value)).ToList();
    }

    /// <summary>The typed summary of every score column, in the order they were named.</summary>
    public IReadOnlyList<ImageQualityColumnMetrics> Columns { get; }

    /// <summary>The typed summary of one score column.</summary>
    public ImageQualityColumnMetrics this[string column] =>
        Columns.FirstOrDefault(c => c.Name == column) ?? throw new KeyNotFoundException($"No score column '{column}' was evaluated.");

    public IReadOnlyDictionary<string, double> Mean { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<double>> PerRow { get; }
    public IReadOnlyDictionary<string, int> NaNCount { get; }
    public int RowCount { get; }
}

/// <summary>Summary of one score column: mean, median, standard deviation and counts over the non-NaN rows.</summary>
public sealed class ImageQualityColumnMetrics
{
    internal ImageQualityColumnMetrics(string name, IReadOnlyList<double> values)
    {
        Name = name;
        Values = values;
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        Count = v.Length;
        NaNCount = values.Count - v.Length;
        Mean = v.Length == 0 ? double.NaN : v.Average();
        Median = v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        StandardDeviation = v.Length < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - Mean) * (x - Mean)) / (v.Length - 1));
        Min = v.Length == 0 ? double.NaN : v[0];
        Max = v.Length == 0 ? double.NaN : v[^1];
    }

    public string Name { get; }
    public double Mean { get; }
    public double Median { get; }
    /// <summary>Sample standard deviation (n − 1).</summary>
    public double StandardDeviation { get; }
    public double Min { get; }
    public double Max { get; }
    public int Count { get; }
    public int NaNCount { get; }
    /// <summary>Per-row values in row order (NaN where a row could not be scored).</summary>
    public IReadOnlyList<double> Values { get; }
}
