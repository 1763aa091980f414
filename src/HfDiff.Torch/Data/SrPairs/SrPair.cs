using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>One degraded pair from <see cref="SrPairWriter"/>: CPU float32 tensors in [0, 1] owned by the pair.</summary>
public sealed class SrPair : IDisposable
{
    internal SrPair(Tensor lq, Tensor gt)
    {
        Lq = lq;
        Gt = gt;
    }

    /// <summary>Degraded image <c>(1, 3, H / Scale, W / Scale)</c>, 8-bit levels (a PNG of it round-trips exactly).</summary>
    public Tensor Lq { get; }

    /// <summary>The HR image the LQ was made from <c>(1, 3, H, W)</c> (crop or mod-crop of the file, not sharpened).</summary>
    public Tensor Gt { get; }

    public void Deconstruct(out Tensor lq, out Tensor gt)
    {
        lq = Lq;
        gt = Gt;
    }

    public void Dispose()
    {
        Lq.Dispose();
        Gt.Dispose();
    }
}
