using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Training.Core;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training;

/// <summary>
/// Training batches from an <see cref="SrPairLoader"/> (HR folder → Real-ESRGAN-degraded pairs), mapped from [0, 1] to
/// [−1, 1] as the official trainers do (<c>(x − 0.5) / 0.5</c>). The position is the number of batches handed out; the
/// loader's batches are keyed by (seed, epoch, index), so <see cref="Restore"/> resumes with the same batches.
/// </summary>
/// <remarks>The official trainers' training-pair pool (<c>_dequeue_and_enqueue</c>) is not applied here.</remarks>
public sealed class SrPairBatchSource : ITrainingBatchSource, IDisposable
{
    readonly SrPairLoader _loader;
    IEnumerator<SrPairBatch>? _batches;

    public SrPairBatchSource(SrPairLoader loader) => _loader = loader ?? throw new ArgumentNullException(nameof(loader));

    public long Position { get; private set; }

    public (Tensor Gt, Tensor Lq) Next()
    {
        _batches ??= Open(Position);
        if (!_batches.MoveNext()) throw new InvalidOperationException("The pair loader ended; it should be endless.");
        Position++;
        using var b = _batches.Current;
        using var scope = NewDisposeScope();
        var gt = ((b.Gt - 0.5) / 0.5).MoveToOuterDisposeScope();
        var lq = ((b.Lq - 0.5) / 0.5).MoveToOuterDisposeScope();
        return (gt, lq);
    }

    public void Restore(long position)
    {
        _batches?.Dispose();
        _batches = null;
        Position = position;
    }

    IEnumerator<SrPairBatch> Open(long position)
    {
        int perEpoch = _loader.BatchesPerEpoch;
        if (perEpoch < 1) throw new InvalidOperationException($"The HR folder '{_loader.Images.Root}' has too few images for one batch of {_loader.Options.BatchSize}.");
        var e = _loader.Batches((int)(position / perEpoch)).GetEnumerator();
        for (long i = 0; i < position % perEpoch; i++)
        {
            if (!e.MoveNext()) break;
            e.Current.Dispose();
        }
        return e;
    }

    public void Dispose() => _batches?.Dispose();
}
