// Port of the training-pair pool RealESRGANModel._dequeue_and_enqueue of xinntao/Real-ESRGAN
// realesrgan/models/realesrgan_model.py (commit a4abfb2979a7bbff3f69f58f58ae324608821e27); ResShift's trainer.py has
// the same pool. Paper: Wang et al., "Real-ESRGAN", ICCVW 2021.
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Real-ESRGAN's training-pair pool, which mixes samples of different batches (a batch shares its resize scales and
/// noise kind): the first <c>QueueSize / B</c> batches are stored and passed through unchanged; once full, each call
/// shuffles the pool, hands out its first B samples and puts the incoming batch in their place. The shuffle is a
/// seeded Fisher–Yates (the reference uses the global <c>torch.randperm</c>), so the same seed and batch sequence give
/// the same output. <see cref="SrPairBatch.GtUsm"/> travels with its sample, which equals Real-ESRGAN's re-sharpening
/// after the pool because USM acts on each image alone. Not thread-safe; use it on the training thread.
/// </summary>
public sealed class SrPairPool : IDisposable
{
    readonly List<Entry> _entries = [];
    readonly DegradationRandom _rng;
    bool _disposed;

    sealed record Entry(Tensor Lq, Tensor Gt, Tensor GtUsm, string Path) : IDisposable
    {
        public void Dispose()
        {
            Lq.Dispose();
            Gt.Dispose();
            GtUsm.Dispose();
        }
    }

    /// <param name="queueSize">Pool size (<c>queue_size</c>, 180 in Real-ESRGAN); every batch size must divide it.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    public SrPairPool(int queueSize = 180, long seed = 0)
    {
        if (queueSize < 1) throw new ArgumentOutOfRangeException(nameof(queueSize), $"queueSize must be >= 1; got {queueSize}.");
        QueueSize = queueSize;
        _rng = new DegradationRandom(SrPairSeeds.Derive(seed, 0x706F6F6C)); // "pool"
    }

    public int QueueSize { get; }

    /// <summary>Samples stored so far (reaches <see cref="QueueSize"/> after <c>QueueSize / B</c> batches).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Takes ownership of <paramref name="batch"/> and returns the batch to train on (the caller owns it): the same
    /// batch while the pool fills, afterwards B pooled samples. The result keeps the incoming Epoch/Index.
    /// </summary>
    /// <exception cref="ArgumentException">The batch size does not divide <see cref="QueueSize"/> (the reference asserts this).</exception>
    public SrPairBatch Exchange(SrPairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int b = batch.Count;
        if (QueueSize % b != 0 || b > QueueSize)
        {
            batch.Dispose();
            throw new ArgumentException($"queue size {QueueSize} must be divisible by the batch size {b} (use DropLast so every batch is full).", nameof(batch));
        }
        if (_entries.Count > 0 && !SameShapes(_entries[0], batch))
        {
            var e0 = _entries[0];
            var msg = $"batch shapes Lq [{string.Join(", ", batch.Lq.shape.Skip(1))}], Gt [{string.Join(", ", batch.Gt.shape.Skip(1))}] differ from the pooled Lq [{string.Join(", ", e0.Lq.shape)}], Gt [{string.Join(", ", e0.Gt.shape)}].";
            batch.Dispose();
            throw new ArgumentException(msg, nameof(batch));
        }

        if (_entries.Count < QueueSize)
        {
            _entries.AddRange(Split(batch));
            return batch;
        }

        // Pool full: shuffle, take the first b, put the new samples there.
        for (int i = _entries.Count - 1; i > 0; i--)
        {
            int j = _rng.NextIndex(i + 1);
            (_entries[i], _entries[j]) = (_entries[j], _entries[i]);
        }
        var outgoing = _entries.Take(b).ToArray();
        var incoming = Split(batch);
        for (int i = 0; i < b; i++) _entries[i] = incoming[i];
        var result = Stack(outgoing, batch.Epoch, batch.Index);
        foreach (var e in outgoing) e.Dispose();
        batch.Dispose();
        return result;
    }

    static bool SameShapes(Entry e, SrPairBatch b) =>
        e.Lq.shape.SequenceEqual(b.Lq.shape.Skip(1)) && e.Gt.shape.SequenceEqual(b.Gt.shape.Skip(1)) && e.GtUsm.shape.SequenceEqual(b.GtUsm.shape.Skip(1));

    static Entry[] Split(SrPairBatch batch)
    {
        using var scope = NewDisposeScope();
        return Enumerable.Range(0, batch.Count).Select(i => new Entry(
            batch.Lq[i].clone().DetachFromDisposeScope(),
            batch.Gt[i].clone().DetachFromDisposeScope(),
            batch.GtUsm[i].clone().DetachFromDisposeScope(),
            batch.Paths[i])).ToArray();
    }

    static SrPairBatch Stack(Entry[] entries, int epoch, int index)
    {
        using var scope = NewDisposeScope();
        var lq = stack(entries.Select(e => e.Lq).ToArray(), 0).DetachFromDisposeScope();
        var gt = stack(entries.Select(e => e.Gt).ToArray(), 0).DetachFromDisposeScope();
        var usm = stack(entries.Select(e => e.GtUsm).ToArray(), 0).DetachFromDisposeScope();
        return new SrPairBatch(lq, gt, usm, entries.Select(e => e.Path).ToArray(), epoch, index);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var e in _entries) e.Dispose();
        _entries.Clear();
    }
}
