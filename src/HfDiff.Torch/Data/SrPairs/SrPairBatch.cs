using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// One training batch of <see cref="SrPairLoader"/>: float32 CPU tensors in [0, 1], owned by the batch and not
/// registered in any dispose scope (they may come from the prefetch thread) — dispose the batch when done.
/// </summary>
public sealed class SrPairBatch : IDisposable
{
    internal SrPairBatch(Tensor lq, Tensor gt, Tensor gtUsm, IReadOnlyList<string> paths, int epoch, int index)
    {
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
