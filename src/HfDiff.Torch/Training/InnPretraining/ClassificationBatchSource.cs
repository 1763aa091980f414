using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Training.Core;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// The training batches of a <see cref="ClassificationBatchLoader"/> as an <see cref="ITrainingBatchSource"/>, epoch after
/// epoch: <see cref="Next"/> returns (images (B, 3, S, S), labels (B) int64) in the (gt, lq) slots. <see cref="Position"/>
/// is the global batch index <c>epoch · BatchesPerEpoch + next batch</c>; since a batch depends only on (seed, epoch,
/// batch index), restoring a position continues with exactly the batches an uninterrupted run would have seen.
/// </summary>
/// <remarks>Batches can be smaller than the batch size (the last of an epoch, unreadable images left out). A batch whose
/// images are all unreadable is not delivered: the next one is, so such a batch costs no iteration.</remarks>
public sealed class ClassificationBatchSource : ITrainingBatchSource, IDisposable
{
    readonly ClassificationBatchLoader _loader;
    IEnumerator<ClassificationBatch>? _epoch;
    int _epochIndex;
    bool _yielded;

    public ClassificationBatchSource(ClassificationBatchLoader loader)
    {
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
        if (loader.BatchesPerEpoch < 1) throw new ArgumentException($"'{loader.Folder.Root}' has fewer images than one batch.", nameof(loader));
    }

    public int BatchesPerEpoch => _loader.BatchesPerEpoch;
    public long Position { get; private set; }
    public bool PartialBatches => true;
    /// <summary>Epochs finished (0-based epoch of the next batch).</summary>
    public int Epoch => (int)(Position / BatchesPerEpoch);
    /// <summary>Index in <see cref="Epoch"/> of the next batch.</summary>
    public int NextBatch => (int)(Position % BatchesPerEpoch);
    /// <summary>Images in the batch <see cref="Next"/> returned last.</summary>
    public int LastBatchCount { get; private set; }

    public (Tensor Gt, Tensor Lq) Next()
    {
        for (int emptyEpochs = 0; emptyEpochs < 2;)
        {
            if (_epoch is null)
            {
                (_epochIndex, _yielded) = (Epoch, false);
                _epoch = _loader.EnumerateEpoch(_epochIndex, NextBatch).GetEnumerator();
            }
            if (_epoch.MoveNext())
            {
                var batch = _epoch.Current; // its tensors go to the caller
                Position = (long)batch.Epoch * BatchesPerEpoch + batch.BatchIndex + 1;
                LastBatchCount = batch.Count;
                _yielded = true;
                return (batch.Images, batch.Labels);
            }
            emptyEpochs = _yielded ? 0 : emptyEpochs + 1;
            DisposeEpoch();
            Position = (_epochIndex + 1L) * BatchesPerEpoch;
        }
        throw new InvalidDataException($"No readable image in '{_loader.Folder.Root}'.");
    }

    public void Restore(long position)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), position, "position must be >= 0.");
        DisposeEpoch();
        Position = position;
    }

    void DisposeEpoch()
    {
        _epoch?.Dispose();
        _epoch = null;
    }

    public void Dispose() => DisposeEpoch();
}
