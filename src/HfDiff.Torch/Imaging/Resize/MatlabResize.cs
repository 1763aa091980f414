// Ports of MATLAB imresize(..., 'bicubic'): pyiqa's imresize (pyiqa/matlab_utils/resize.py) and BasicSR's imresize
// (basicsr/utils/matlab_functions.py); sources, commits and how the two differ: ResizeVariants.cs.
using System.Numerics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Imaging.Resize;

/// <summary>
/// MATLAB's bicubic <c>imresize(x, scale)</c> (a = −0.5, antialiasing when downscaling, symmetric edges that repeat the
/// edge pixel, output <c>ceil(in·scale)</c>, height pass then width pass, output neither rounded nor clipped), in the two
/// ported variants. They differ in precision and window placement (table in <see cref="ResizeVariants"/>); use the one
/// whose reference a metric or fixture follows.
/// </summary>
public static class MatlabResize
{
    // PORT-QUIRK(pyiqa, resize.py): cast_input's test `dtype != float32 or dtype != float64` is always true, so even a
    // float64 image is resized in float32 and only cast back at the end.

    /// <summary>
    /// pyiqa's <c>imresize</c> (NIQE): resizes an h×w float32 plane by <paramref name="scale"/> (0 &lt; scale &lt; 1) to
    /// ceil(h·s)×ceil(w·s), always antialiased, everything in float32.
    /// </summary>
    internal static float[] PyiqaFloat32(float[] src, int h, int w, double scale, out int outH, out int outW)
    {
        if (!(scale > 0 && scale < 1)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Only downscaling (0 < scale < 1) is supported.");
        outH = (int)Math.Ceiling(h * scale);
        outW = (int)Math.Ceiling(w * scale);
        var rows = ResizeVariants.PyiqaMatlab(h, outH, scale);
        var tmp = new float[outH * w];
        // Height: out[i, c] = Σ_k x[idx(i,k), c] · wgt(i,k), summed in k order in float32.
        for (int i = 0; i < outH; i++)
        {
            var row = tmp.AsSpan(i * w, w);
            row.Clear();
            for (int k = 0; k < rows.Count; k++)
            {
                float g = rows.Weight[i * rows.Count + k];
                if (g == 0) continue; // adding 0·x (x finite) leaves every float32 sum unchanged
                var srcRow = src.AsSpan(rows.Index[i * rows.Count + k] * w, w);
                var vg = new Vector<float>(g);
                int c = 0, vs = Vector<float>.Count;
                // Multiply, round, then add (no FMA): the same two roundings as torch's sample * weight then sum.
                for (; c + vs <= w; c += vs)
                    (new Vector<float>(row.Slice(c, vs)) + new Vector<float>(srcRow.Slice(c, vs)) * vg).CopyTo(row.Slice(c, vs));
                for (; c < w; c++) row[c] += srcRow[c] * g;
            }
        }
        var cols = ResizeVariants.PyiqaMatlab(w, outW, scale);
        var dst = new float[outH * outW];
        for (int r = 0; r < outH; r++)
        {
            var srcRow = tmp.AsSpan(r * w, w);
            for (int j = 0; j < outW; j++)
            {
                float acc = 0;
                for (int k = 0; k < cols.Count; k++) acc += srcRow[cols.Index[j * cols.Count + k]] * cols.Weight[j * cols.Count + k];
                dst[r * outW + j] = acc;
            }
        }
        return dst;
    }

    /// <summary>
    /// BasicSR's <c>imresize</c>: resizes the last two dimensions of <paramref name="img"/> (<c>(C, H, W)</c> as in the
    /// reference, or <c>(H, W)</c>, or <c>(B, C, H, W)</c>) by <paramref name="scale"/> (same for both axes, up or down).
    /// The weights and the product are float64; the result has the input's floating dtype (float32 for integer input).
    /// </summary>
    public static Tensor BasicSrFloat64(Tensor img, double scale, bool antialiasing = true)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (img.dim() < 2) throw new ArgumentException($"img must have at least 2 dimensions (H, W); got {img.dim()}.", nameof(img));
        if (!(scale > 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be finite and > 0; got {scale}.");
        int inH = (int)img.shape[^2], inW = (int)img.shape[^1];
        int outH = (int)Math.Ceiling(inH * scale), outW = (int)Math.Ceiling(inW * scale);
        var outType = img.is_floating_point() ? img.dtype : ScalarType.Float32;

        using var scope = NewDisposeScope();
        var wh = tensor(BasicSrWeightMatrix(inH, outH, scale, antialiasing), [outH, inH], ScalarType.Float64, img.device);
        var ww = tensor(BasicSrWeightMatrix(inW, outW, scale, antialiasing), [outW, inW], ScalarType.Float64, img.device);
        var x = img.to_type(ScalarType.Float64);
        var result = matmul(matmul(wh, x), ww.t()).to_type(outType);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dense <c>[outLength, inLength]</c> resampling matrix (row-major) of BasicSR's <c>calculate_weights_indices</c>,
    /// with the symmetric padding folded in: input index −1 reads pixel 0, −2 reads pixel 1, inLength reads inLength − 1, ...
    /// </summary>
    public static double[] BasicSrWeightMatrix(int inLength, int outLength, double scale, bool antialiasing)
    {
        if (inLength < 1) throw new ArgumentOutOfRangeException(nameof(inLength), $"inLength must be >= 1; got {inLength}.");
        var taps = ResizeVariants.BasicSrMatlab(inLength, outLength, scale, antialiasing);
        var matrix = new double[outLength * inLength];
        for (int o = 0; o < outLength; o++)
            for (int t = 0; t < taps.Count; t++)
            {
                double weight = taps.Weight[o * taps.Count + t];
                if (weight == 0) continue; // the reference drops all-zero edge columns; zero weights add nothing
                matrix[o * inLength + taps.Index[o * taps.Count + t]] += weight; // folded edge taps add up
            }
        return matrix;
    }
}
