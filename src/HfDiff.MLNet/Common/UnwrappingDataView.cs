using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Common;

/// <summary>
/// ML.NET moves rows between threads (splitter/consolidator cursors) and wraps an error raised in a worker in one
/// <see cref="InvalidOperationException"/> per hop ("Splitter/consolidator worker encountered exception while
/// consuming source data"). <see cref="Unwrap"/> finds the error that was actually raised.
/// </summary>
internal static class MLNetErrors
{
    const string WorkerWrapper = "Splitter/consolidator worker encountered exception";

    public static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case InvalidOperationException { InnerException: { } inner } when e.Message.StartsWith(WorkerWrapper, StringComparison.Ordinal):
                    e = inner; continue;
                case AggregateException { InnerExceptions.Count: 1 } a:
                    e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } target }:
                    e = target; continue;
                default:
                    return e;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/>; a wrapped error is rethrown as the error inside (with its stack trace).</summary>
    public static T Unwrapped<T>(Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (!ReferenceEquals(Unwrap(e), e))
        {
            ExceptionDispatchInfo.Capture(Unwrap(e)).Throw();
            throw;   // unreachable
        }
    }

    public static void Unwrapped(Action action) => Unwrapped(() => { action(); return 0; });
}

/// <summary>The view a fitted HfDiff transform returns: its cursors rethrow worker-wrapped errors unwrapped.</summary>
internal sealed class UnwrappingDataView(IDataView inner) : IDataView
{
    public bool CanShuffle => inner.CanShuffle;
    public DataViewSchema Schema => inner.Schema;
    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(MLNetErrors.Unwrapped(() => inner.GetRowCursor(columnsNeeded, rand)));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        MLNetErrors.Unwrapped(() => inner.GetRowCursorSet(columnsNeeded, n, rand)).Select(c => (DataViewRowCursor)new Cursor(c)).ToArray();

    sealed class Cursor(DataViewRowCursor cursor) : DataViewRowCursor
    {
        public override DataViewSchema Schema => cursor.Schema;
        public override long Position => cursor.Position;
        public override long Batch => cursor.Batch;
        public override bool IsColumnActive(DataViewSchema.Column column) => cursor.IsColumnActive(column);
        public override bool MoveNext() => MLNetErrors.Unwrapped(cursor.MoveNext);

        public override ValueGetter<DataViewRowId> GetIdGetter()
        {
            var getter = cursor.GetIdGetter();
            return (ref DataViewRowId value) => { var v = value; MLNetErrors.Unwrapped(() => getter(ref v)); value = v; };
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var getter = cursor.GetGetter<TValue>(column);
            return (ref TValue value) =>
            {
                try { getter(ref value); }
                catch (Exception e) when (!ReferenceEquals(MLNetErrors.Unwrap(e), e)) { ExceptionDispatchInfo.Capture(MLNetErrors.Unwrap(e)).Throw(); }
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) cursor.Dispose();
            base.Dispose(disposing);
        }
    }
}
