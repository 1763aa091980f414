using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// <c>F.interpolate(x, (oh, ow), mode='bicubic', align_corners=False)</c> (Keys cubic, a = −0.75, no antialias,
/// clamped borders) with the numerics of torch 1.13 on CPU, which pyiqa's MUSIQ reference ran on.
/// </summary>
/// <remarks>
/// PORT-QUIRK(pyiqa, multiscale_trans_util.py resize_preserve_aspect_ratio): libtorch 2.x evaluates the source
/// coordinate <c>scale·(i+0.5)−0.5</c> in float32, whose rounding (1 ulp ≈ 1.5e-5 near pixel 160) moves the cubic
/// weights; torch 1.13 kept that coordinate in double. Measured on the fixture images, libtorch 2.10's interpolate is
/// up to 1.2e-5 from torch 1.13, this separable evaluation (float32 scale, double coordinate and weights, float32
/// accumulation: x-taps, then y-taps) ≤ 1e-6.
/// </remarks>
public static class MusiqBicubicResize
{
    const double A = -0.75;

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
        long inSize = x.shape[dim];
        var (indices, weights) = Taps(inSize, outSize);
        var shape = dim == 3 ? new long[] { outSize } : [outSize, 1];
        Tensor? acc = null;
        for (int j = 0; j < 4; j++)
        {
            using var idx = torch.tensor(indices[j], device: x.device);
            using var w = torch.tensor(weights[j], device: x.device).reshape(shape).to_type(x.dtype);
            var term = x.index_select(dim, idx) * w;
            acc = acc is null ? term : acc + term;
        }
        return acc!;
    }

    /// <summary>Per tap j: clamped source indices and float32-rounded cubic weights for each output position.</summary>
    static (long[][] Indices, float[][] Weights) Taps(long inSize, long outSize)
    {
        float scale = (float)inSize / outSize;           // area_pixel_compute_scale<float>
        var indices = new long[4][];
        var weights = new float[4][];
        for (int j = 0; j < 4; j++) { indices[j] = new long[outSize]; weights[j] = new float[outSize]; }
        for (long i = 0; i < outSize; i++)
        {
            double real = scale * (i + 0.5) - 0.5;       // cubic: no clamping of the source coordinate
            long floor = (long)Math.Floor(real);
            double t = real - floor;
            double[] c = [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)];
            for (int j = 0; j < 4; j++)
            {
                indices[j][i] = Math.Clamp(floor - 1 + j, 0, inSize - 1);
                weights[j][i] = (float)c[j];
            }
        }
        return (indices, weights);
    }

    // Keys' cubic convolution kernel for |x| <= 1 and 1 < |x| < 2.
    static double Near(double x) => ((A + 2) * x - (A + 3)) * x * x + 1;
    static double Far(double x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}
