using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// One training batch of <see cref="SrPairLoader"/>: float32 CPU tensors in [0, 1], owned by the batch and not
/// registered in any dispose scope (they may come from the prefetch thread) — dispose the batch when done.
/// </summary>
public sealed class SrPairBatch : IDisposable
{
    /// <summary>Wraps tensors the batch then owns (e.g. pairs from another source for <see cref="SrPairPool"/>).</summary>
    /// <exception cref="ArgumentException">Shapes are not (B, C, h, w) / (B, C, H, W) twice with B = paths.Count.</exception>
    public SrPairBatch(Tensor lq, Tensor gt, Tensor gtUsm, IReadOnlyList<string> paths, int epoch, int index)
    {
        ArgumentNullException.ThrowIfNull(lq);
        ArgumentNullException.ThrowIfNull(gt);
        ArgumentNullException.ThrowIfNull(gtUsm);
        ArgumentNullException.ThrowIfNull(paths);
        if (lq.dim() != 4 || gt.dim() != 4 || !gt.shape.SequenceEqual(gtUsm.shape) || lq.shape[0] != paths.Count || gt.shape[0] != paths.Count)
            throw new ArgumentException(
                $"Expected lq (B, C, h, w), gt and gtUsm (B, C, H, W) with B = {paths.Count} paths; got lq [{string.Join(", ", lq.shape)}], gt [{string.Join(", ", gt.shape)}], gtUsm [{string.Join(", ", gtUsm.shape)}].");
        Lq = lq; Gt = gt; GtUsm = gtUsm; Paths = paths; Epoch = epoch; Index = index;
    }

    /// <summary>Degraded input <c>(B, 3, GtSize / Scale, GtSize / Scale)</c>, 8-bit levels.</summary>
    public Tensor Lq { get; }

    /// <summary>GT patch <c>(B, 3, GtSize, GtSize)</c> (the ResShift/SinSR/HF-Diff target).</summary>
    public Tensor Gt { get; }

    /// <summary>USM-sharpened <see cref="Gt"/> (sharpened after the crop, as Real-ESRGAN; its L1/perceptual target).</summary>
    public Tensor GtUsm { get; }

    /// <summary>Source file of each sample, in batch order.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Epoch the batch belongs to.</summary>
    public int Epoch { get; }

    /// <summary>Index of the batch within its epoch (0-based).</summary>
    public int Index { get; }

    public int Count => Paths.Count;

    public void Dispose()
    {
        Lq.Dispose();
        Gt.Dispose();
        GtUsm.Dispose();
    }
}
