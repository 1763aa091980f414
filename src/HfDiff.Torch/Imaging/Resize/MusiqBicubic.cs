using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Imaging.Resize;

/// <summary>
/// MUSIQ's resize: <c>F.interpolate(x, (oh, ow), mode='bicubic', align_corners=False)</c> (Keys cubic, a = −0.75, no
/// antialias, clamped borders) with the numerics of torch 1.13 on CPU, which pyiqa's MUSIQ reference ran on (why not
/// libtorch's own interpolate: <see cref="ResizeVariants.Torch113Bicubic"/>).
/// </summary>
public static class MusiqBicubic
{
    /// <summary>Resizes (N,C,H,W) float32 to (N,C,outHeight,outWidth).</summary>
    public static Tensor Resize(Tensor x, long outHeight, long outWidth)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.ndim != 4) throw new ArgumentException($"x must be (N,C,H,W); got [{string.Join(",", x.shape)}].", nameof(x));
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(outHeight), $"output size must be positive; got {outHeight}x{outWidth}.");
        using var scope = torch.NewDisposeScope();
        var horizontal = Pass(x, 3, outWidth);
        return Pass(horizontal, 2, outHeight).MoveToOuterDisposeScope();
    }

    /// <summary>Σ_j w_j · x[..., idx_j, ...] along <paramref name="dim"/>, accumulated in order j = 0..3.</summary>
    static Tensor Pass(Tensor x, int dim, long outSize)
    {
        var taps = ResizeVariants.Torch113Bicubic(x.shape[dim], outSize);
        var shape = dim == 3 ? new long[] { outSize } : [outSize, 1];
        Tensor? acc = null;
        for (int j = 0; j < taps.Count; j++)
        {
            var indices = new long[outSize];
            var weights = new float[outSize];
            for (long i = 0; i < outSize; i++)
            {
                indices[i] = taps.Index[i * taps.Count + j];
                weights[i] = taps.Weight[i * taps.Count + j];
            }
            using var idx = torch.tensor(indices, device: x.device);
            using var w = torch.tensor(weights, device: x.device).reshape(shape).to_type(x.dtype);
            var term = x.index_select(dim, idx) * w;
            acc = acc is null ? term : acc + term;
        }
        return acc!;
    }
}
