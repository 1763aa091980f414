using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>Evaluation of scored data, in the style of ML.NET's <c>mlContext.Regression.Evaluate</c>.</summary>
public sealed class ImageQualityCatalog
{
    readonly MLContext _context;
    internal ImageQualityCatalog(MLContext context) => _context = context;

    /// <summary>
    /// Mean of each score column plus the per-row values (in row order). <paramref name="scoreColumnNames"/> are float or
    /// double columns added by the scorers; rows whose score is NaN are kept in <see cref="ImageQualityMetrics.PerRow"/>
    /// and left out of the mean (counted in <see cref="ImageQualityMetrics.NaNCount"/>).
    /// </summary>
    public ImageQualityMetrics Evaluate(IDataView data, params string[] scoreColumnNames)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (scoreColumnNames is null || scoreColumnNames.Length == 0)
            throw new ArgumentException("Name at least one score column.", nameof(scoreColumnNames));
        var perRow = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        foreach (var name in scoreColumnNames)
        {
            var col = data.Schema.GetColumnOrNull(name)
                ?? throw new ArgumentOutOfRangeException(nameof(scoreColumnNames), $"Could not find input column '{name}'");
            perRow[name] = col.Type switch
            {
                NumberDataViewType t when t.RawType == typeof(float) => data.GetColumn<float>(col).Select(v => (double)v).ToList(),
                NumberDataViewType t when t.RawType == typeof(double) => data.GetColumn<double>(col).ToList(),
                _ => throw new ArgumentOutOfRangeException(nameof(scoreColumnNames), $"Schema mismatch for input column '{name}': expected Single or Double, got {col.Type}"),
            };
        }
        return new ImageQualityMetrics(perRow);
    }
}
