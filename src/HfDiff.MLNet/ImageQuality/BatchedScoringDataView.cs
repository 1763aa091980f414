using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// The scored view of a batched scorer: the input columns pass through unchanged and the score column is computed a
/// batch at a time. A second, look-ahead cursor over the same input reads only the scorer's columns (configuration,
/// images or paths) for the next rows; both cursors run unshuffled, so they meet the rows in the same order (checked
/// by row id).
/// </summary>
internal sealed class BatchedScoringDataView : IDataView
{
    readonly IDataView _input;
    readonly ScorerMapping _scorer;
    readonly int _scoreIndex;

    public BatchedScoringDataView(IDataView input, DataViewSchema outputSchema, ScorerMapping scorer)
    {
        _input = input;
        _scorer = scorer;
        Schema = outputSchema;
        _scoreIndex = outputSchema[ScorerColumns.Score].Index;
        // The custom mapping appends its column after the input's; the pass-through below relies on that layout.
        bool sameLayout = _scoreIndex == input.Schema.Count && outputSchema.Count == input.Schema.Count + 1
                          && Enumerable.Range(0, input.Schema.Count).All(i => outputSchema[i].Name == input.Schema[i].Name);
        if (!sameLayout)
            throw new InvalidOperationException("The scorer's custom mapping did not append its score column after the input columns; this ML.NET version is not supported by batched scoring.");
    }

    public DataViewSchema Schema { get; }

    /// <summary>Rows come in input order (the look-ahead cursor must see them in the same order).</summary>
    public bool CanShuffle => false;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        bool score = needed.Any(c => c.Index == _scoreIndex);
        var main = _input.GetRowCursor(needed.Where(c => c.Index != _scoreIndex).Select(c => _input.Schema[c.Index]));
        if (!score) return new BatchedScoringCursor(Schema, _input.Schema, main, null, _scoreIndex, _scorer);
        var scorerColumns = new[] { ScorerColumns.Config, ScorerColumns.Distorted, ScorerColumns.Reference }
            .Select(name => _input.Schema.GetColumnOrNull(name)).Where(c => c is not null).Select(c => c!.Value);
        var lookAhead = _input.GetRowCursor(scorerColumns);
        return new BatchedScoringCursor(Schema, _input.Schema, main, lookAhead, _scoreIndex, _scorer);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
