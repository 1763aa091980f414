using static TorchSharp.torch;

namespace HfDiff.Torch.Training;

/// <summary>
/// Keeps non-finite numbers out of the weights: before each optimizer step, checks the loss and every gradient; a
/// non-finite one means the step is skipped (gradients zeroed), counted and reported. <see cref="MaxConsecutive"/>
/// skipped steps in a row stop the run with <see cref="Core.TrainingDivergedException"/>, so the last checkpoint written
/// before them stays the last good one. <see cref="Core.TrainingLoop"/> applies the same rule inside its loop (and keeps the
/// count in its checkpoints); this class serves loops not built on it yet (the INN pretrainer).
/// </summary>
/// <remarks>A single bad step (e.g. one batch whose loss overflows) should not end an hours-long run, and a NaN that
/// reached Adam's moments would poison every later step; PyTorch's GradScaler skips such steps the same way.</remarks>
public sealed class NonFiniteStepGuard
{
    public NonFiniteStepGuard(int maxConsecutive = 5)
    {
        if (maxConsecutive < 1) throw new ArgumentOutOfRangeException(nameof(maxConsecutive), maxConsecutive, "maxConsecutive must be >= 1.");
        MaxConsecutive = maxConsecutive;
    }

    public int MaxConsecutive { get; }
    /// <summary>Steps skipped so far in this run.</summary>
    public long Skipped { get; private set; }
    /// <summary>Skipped steps since the last good one.</summary>
    public int Consecutive { get; private set; }

    /// <summary>
    /// True when <paramref name="loss"/> and all gradients of <paramref name="parameters"/> are finite (take the step);
    /// otherwise zeroes the gradients, counts the step and returns false, or throws once <see cref="MaxConsecutive"/> are
    /// skipped in a row. <paramref name="where"/> names the iteration for the messages.
    /// </summary>
    public bool Check(double loss, IEnumerable<Tensor> parameters, long iteration, string where, string? lastCheckpoint = null)
    {
        var ps = parameters as IReadOnlyList<Tensor> ?? parameters.ToList();
        bool finite = double.IsFinite(loss) && GradientsFinite(ps);
        if (finite) { Consecutive = 0; return true; }
        foreach (var p in ps) p.grad?.zero_();
        Skipped++;
        Consecutive++;
        if (Consecutive >= MaxConsecutive)
            throw new Core.TrainingDivergedException(
                $"Training diverged: {Consecutive} steps in a row had a non-finite loss or gradient (last at {where}, loss {loss}); " +
                $"no step was taken in them. Last checkpoint: {lastCheckpoint ?? "(none)"}. Lower the learning rate or check the data.",
                iteration, lastCheckpoint);
        return false;
    }

    /// <summary>One fused check: the sum of the squared gradients is finite exactly when every element is.</summary>
    public static bool GradientsFinite(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        foreach (var p in parameters)
        {
            if (p.grad is null) continue;
            // Per-tensor isfinite().all() rather than a sum of squares: a huge finite gradient must not overflow into "non-finite".
            var ok = isfinite(p.grad).all();
            total = total is null ? ok : total.logical_and(ok);
        }
        return total is null || total.item<bool>();
    }
}
