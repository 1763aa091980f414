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
        var columns = scoreColumnNames.Select(name =>
        {
            var col = data.Schema.GetColumnOrNull(name)
                ?? throw new ArgumentOutOfRangeException(nameof(scoreColumnNames), $"Could not find input column '{name}'");
            if (col.Type is not NumberDataViewType { RawType: var raw } || (raw != typeof(float) && raw != typeof(double)))
                throw new ArgumentOutOfRangeException(nameof(scoreColumnNames), $"Schema mismatch for input column '{name}': expected Single or Double, got {col.Type}");
            return col;
        }).ToArray();
        // One cursor for all columns: the images are decoded and each scorer's batches run once, not once per column.
        var values = columns.Select(_ => new List<double>()).ToArray();
        // A row's error surfaces as raised (e.g. "ssim on 'a.png': …"), not inside ML.NET's worker exceptions.
        Common.MLNetErrors.Unwrapped(() =>
        {
            using var cursor = data.GetRowCursor(columns);
            var getters = columns.Select(c => DoubleGetter(cursor, c)).ToArray();
            while (cursor.MoveNext())
                for (int i = 0; i < getters.Length; i++) values[i].Add(getters[i]());
        });
        var perRow = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Length; i++) perRow[columns[i].Name] = values[i];
        return new ImageQualityMetrics(perRow);
    }

    static Func<double> DoubleGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type.RawType == typeof(double))
        {
            var g = cursor.GetGetter<double>(column);
            return () => { double v = 0; g(ref v); return v; };
        }
        var f = cursor.GetGetter<float>(column);
        return () => { float v = 0; f(ref v); return v; };
    }
}
