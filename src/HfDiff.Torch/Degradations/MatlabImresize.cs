// Port of imresize / calculate_weights_indices / cubic from XPixelGroup/BasicSR basicsr/utils/matlab_functions.py
// (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a), itself a port of MATLAB's imresize (bicubic).
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// MATLAB-compatible bicubic <c>imresize</c>: cubic kernel with a = −0.5, antialiasing when downscaling (kernel
/// <c>s·cubic(s·x)</c> of width 4/s), symmetric edge handling that repeats the edge pixel, output size
/// <c>ceil(in·scale)</c>, H pass then W pass, output neither rounded nor clipped.
/// </summary>
public static class MatlabImresize
{
    /// <summary>
    /// Resizes the last two dimensions of <paramref name="img"/> (<c>(C, H, W)</c> as in the reference, or
    /// <c>(H, W)</c>, or <c>(B, C, H, W)</c>) by <paramref name="scale"/> (same for both axes).
    /// The weights are computed in float64; the result has the input's floating dtype (float32 for integer input).
    /// </summary>
    public static Tensor Resize(Tensor img, double scale, bool antialiasing = true)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (img.dim() < 2) throw new ArgumentException($"img must have at least 2 dimensions (H, W); got {img.dim()}.", nameof(img));
        if (!(scale > 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be finite and > 0; got {scale}.");
        int inH = (int)img.shape[^2], inW = (int)img.shape[^1];
        int outH = (int)Math.Ceiling(inH * scale), outW = (int)Math.Ceiling(inW * scale);
        var outType = img.is_floating_point() ? img.dtype : ScalarType.Float32;

        using var scope = NewDisposeScope();
        var wh = tensor(WeightMatrix(inH, outH, scale, antialiasing), [outH, inH], ScalarType.Float64, img.device);
        var ww = tensor(WeightMatrix(inW, outW, scale, antialiasing), [outW, inW], ScalarType.Float64, img.device);
        var x = img.to_type(ScalarType.Float64);
        var result = matmul(matmul(wh, x), ww.t()).to_type(outType);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>MATLAB's bicubic kernel with a = −0.5.</summary>
    public static double Cubic(double x)
    {
        double ax = Math.Abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
        if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
        return 0;
    }

    /// <summary>
    /// Dense <c>[outLength, inLength]</c> resampling matrix (row-major) of <c>calculate_weights_indices</c>, with the
    /// symmetric padding folded in: input index −1 reads pixel 0, −2 reads pixel 1, inLength reads inLength − 1, ...
    /// </summary>
    public static double[] WeightMatrix(int inLength, int outLength, double scale, bool antialiasing)
    {
        if (inLength < 1) throw new ArgumentOutOfRangeException(nameof(inLength), $"inLength must be >= 1; got {inLength}.");
        double kernelWidth = 4;
        bool aa = scale < 1 && antialiasing;
        if (aa) kernelWidth /= scale;
        int p = (int)Math.Ceiling(kernelWidth) + 2;
        var matrix = new double[outLength * inLength];
        var weights = new double[p];
        for (int o = 0; o < outLength; o++)
        {
            // 1-based output coordinate mapped so that 0.5 in output space maps to 0.5 in input space.
            double x = o + 1;
            double u = x / scale + 0.5 * (1 - 1 / scale);
            double left = Math.Floor(u - kernelWidth / 2);
            double sum = 0;
            for (int t = 0; t < p; t++)
            {
                double d = u - (left + t);
                weights[t] = aa ? scale * Cubic(d * scale) : Cubic(d);
                sum += weights[t];
            }
            for (int t = 0; t < p; t++)
            {
                if (weights[t] == 0) continue; // the reference drops all-zero edge columns; zero weights add nothing
                int j = (int)(left + t) - 1; // 0-based
                // Symmetric padding (MATLAB 'symmetric'), which includes the edge pixel.
                while (j < 0 || j >= inLength) j = j < 0 ? -j - 1 : 2 * inLength - 1 - j;
                matrix[o * inLength + j] += weights[t] / sum;
            }
        }
        return matrix;
    }
}
