using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>The same (gt, lq) batch at every iteration (the official trainers' fixtures; overfitting checks).</summary>
public sealed class FixedBatchSource : ITrainingBatchSource, IDisposable
{
    readonly Tensor _gt, _lq;

    /// <param name="gt">(B, 3, H, W) float32 in [−1, 1]; copied.</param>
    /// <param name="lq">(B, 3, h, w) float32 in [−1, 1]; copied.</param>
    public FixedBatchSource(Tensor gt, Tensor lq)
    {
        ArgumentNullException.ThrowIfNull(gt);
        ArgumentNullException.ThrowIfNull(lq);
        if (gt.dim() != 4 || lq.dim() != 4 || gt.shape[0] != lq.shape[0])
            throw new ArgumentException($"gt and lq must be (B, C, H, W) with the same B; got [{string.Join(",", gt.shape)}] and [{string.Join(",", lq.shape)}].");
        _gt = gt.detach().clone();
        _lq = lq.detach().clone();
    }

    public long Position { get; private set; }

    public (Tensor Gt, Tensor Lq) Next()
    {
        Position++;
        return (_gt.clone(), _lq.clone());
    }

    public void Restore(long position) => Position = position;

    public void Dispose()
    {
        _gt.Dispose();
        _lq.Dispose();
    }
}
