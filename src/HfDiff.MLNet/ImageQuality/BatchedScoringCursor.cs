using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Cursor of <see cref="BatchedScoringDataView"/>. Input columns come from the main cursor. The first time a row's
/// score is asked for, the look-ahead cursor reads that row and the next ones (up to the configured batch size) and
/// scores them together; rows whose score is never asked for are skipped unread. A row that fails throws its own
/// error when its score is read, as row-by-row scoring would.
/// </summary>
internal sealed class BatchedScoringCursor : DataViewRowCursor
{
    readonly DataViewRowCursor _main;
    readonly DataViewRowCursor? _lookAhead;
    readonly DataViewSchema _inputSchema;
    readonly int _scoreIndex;
    readonly ScorerMapping _scorer;
    readonly ValueGetter<DataViewRowId> _mainId;
    readonly ValueGetter<DataViewRowId>? _lookAheadId;
    readonly ValueGetter<ReadOnlyMemory<char>>? _config;
    readonly Func<ScorerImage?>? _distorted;
    readonly Func<ScorerImage?>? _reference;

    long _batchStart = -1;
    float[] _scores = [];
    Exception?[] _errors = [];
    DataViewRowId[] _ids = [];
    bool _lookAheadDone;

    public BatchedScoringCursor(DataViewSchema schema, DataViewSchema inputSchema, DataViewRowCursor main, DataViewRowCursor? lookAhead,
                                int scoreIndex, ScorerMapping scorer)
    {
        Schema = schema;
        _inputSchema = inputSchema;
        _main = main;
        _lookAhead = lookAhead;
        _scoreIndex = scoreIndex;
        _scorer = scorer;
        _mainId = main.GetIdGetter();
        if (lookAhead is null) return;
        _lookAheadId = lookAhead.GetIdGetter();
        _config = lookAhead.GetGetter<ReadOnlyMemory<char>>(inputSchema[ScorerColumns.Config]);
        _distorted = ImageReader(lookAhead, inputSchema[ScorerColumns.Distorted]);
        var reference = inputSchema.GetColumnOrNull(ScorerColumns.Reference);
        _reference = reference is null ? null : ImageReader(lookAhead, reference.Value);
    }

    /// <summary>Reads a path column or an MLImage column (pixels copied at once: the next row may reuse the image).</summary>
    static Func<ScorerImage?> ImageReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            return () =>
            {
                ReadOnlyMemory<char> path = default;
                getter(ref path);
                return ScorerImage.FromPath(path.ToString());
            };
        }
        var images = cursor.GetGetter<MLImage>(column);
        return () =>
        {
            MLImage image = null!;
            images(ref image);
            return image is null ? null : ScorerImage.FromImage(image);
        };
    }

    public override DataViewSchema Schema { get; }
    public override long Position => _main.Position;
    public override long Batch => _main.Batch;
    public override ValueGetter<DataViewRowId> GetIdGetter() => _mainId;
    public override bool MoveNext() => _main.MoveNext();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index == _scoreIndex ? _lookAhead is not null : _main.IsColumnActive(_inputSchema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index != _scoreIndex) return _main.GetGetter<TValue>(_inputSchema[column.Index]);
        if (_lookAhead is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
        if (typeof(TValue) != typeof(float))
            throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{typeof(float)}'.");
        ValueGetter<float> getter = (ref float value) => value = ScoreOfCurrentRow();
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    float ScoreOfCurrentRow()
    {
        long p = _main.Position;
        if (p < 0) throw new InvalidOperationException("The cursor is not on a row (call MoveNext first).");
        if (_batchStart < 0 || p < _batchStart || p >= _batchStart + _scores.Length) ReadBatchAt(p);
        int k = (int)(p - _batchStart);
        DataViewRowId id = default;
        _mainId(ref id);
        if (!id.Equals(_ids[k]))
            throw new InvalidOperationException($"Batched scoring: the input gave row {p} a different id on its second cursor; it does not return rows in a stable order.");
        if (_errors[k] is { } error) ExceptionDispatchInfo.Capture(error).Throw();
        return _scores[k];
    }

    /// <summary>Moves the look-ahead cursor to row <paramref name="p"/> (skipping rows nobody scored), then reads and scores a batch.</summary>
    void ReadBatchAt(long p)
    {
        var look = _lookAhead!;
        if (look.Position >= p) throw new InvalidOperationException($"Batched scoring: row {p} was asked for after the look-ahead passed it.");
        while (look.Position < p)
            if (_lookAheadDone || !look.MoveNext()) { _lookAheadDone = true; throw new InvalidOperationException($"Batched scoring: the input ended before row {p} on its second cursor."); }
        var rows = new List<ScorerRow>();
        var ids = new List<DataViewRowId>();
        int batchSize = 1;
        do
        {
            ReadOnlyMemory<char> config = default;
            _config!(ref config);
            var encoded = config.ToString();
            DataViewRowId id = default;
            _lookAheadId!(ref id);
            ids.Add(id);
            rows.Add(ReadRow(encoded));
            if (rows.Count == 1) batchSize = BatchSizeOf(encoded);
        }
        while (rows.Count < batchSize && Advance(look));
        _batchStart = p;
        _ids = ids.ToArray();
        _scores = new float[rows.Count];
        _errors = new Exception?[rows.Count];
        _scorer.ScoreBatch(rows, _scores, _errors);
    }

    ScorerRow ReadRow(string config)
    {
        ScorerImage? distorted = null;
        try
        {
            distorted = _distorted!();
            return new ScorerRow(config, distorted, _reference?.Invoke());
        }
        catch (Exception e)
        {
            distorted?.Pixels?.Dispose();
            return new ScorerRow(config, null, null, e);
        }
    }

    int BatchSizeOf(string config)
    {
        try { return Math.Max(1, _scorer.BatchSizeOf(config)); }
        catch (Exception) { return 1; }   // a bad configuration fails on its row, when scored
    }

    bool Advance(DataViewRowCursor look)
    {
        if (_lookAheadDone) return false;
        if (look.MoveNext()) return true;
        _lookAheadDone = true;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _main.Dispose();
            _lookAhead?.Dispose();
        }
        base.Dispose(disposing);
    }
}
