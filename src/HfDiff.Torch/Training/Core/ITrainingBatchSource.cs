using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// Training pairs for a <see cref="TrainingLoop"/>: one (gt, lq) batch per iteration, and a position that a checkpoint
/// stores so a resumed run continues with the batch an uninterrupted run would have seen.
/// </summary>
public interface ITrainingBatchSource
{
    /// <summary>The next batch: gt (B, 3, sf·h, sf·w) and lq (B, 3, h, w), float32 in [−1, 1]. The caller owns both.</summary>
    (Tensor Gt, Tensor Lq) Next();

    /// <summary>Batches handed out so far (or any position the source can return to).</summary>
    long Position { get; }

    /// <summary>Continues from a position <see cref="Position"/> reported earlier.</summary>
    void Restore(long position);

    /// <summary>
    /// True when a batch may have fewer rows than <see cref="TrainingLoopOptions.Batch"/> (the end of an epoch, unreadable
    /// images left out); the loop then accepts 1…batch rows. Default false: every batch must have exactly batch rows.
    /// </summary>
    bool PartialBatches => false;
}
