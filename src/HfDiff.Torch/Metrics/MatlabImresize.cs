// Port of pyiqa's imresize (chaofengc/IQA-PyTorch, pyiqa/matlab_utils/resize.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8;
// Sanghyun Son's bicubic_pytorch), which reproduces MATLAB imresize(..., 'bicubic') with antialiasing.

using System.Numerics;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// MATLAB <c>imresize(x, scale)</c> for downscaling (scale &lt; 1), bicubic a = −0.5 with antialiasing (kernel widened by
/// 1/scale), symmetric boundary handling; height first, then width. Everything is float32, as pyiqa's version.
/// </summary>
internal static class MatlabImresize
{
    // PORT-QUIRK(pyiqa, resize.py): cast_input's test `dtype != float32 or dtype != float64` is always true, so even a
    // float64 image is resized in float32 and only cast back at the end.

    /// <summary>Resizes an h×w float32 plane by <paramref name="scale"/> (0 &lt; scale &lt; 1) to ceil(h·s)×ceil(w·s).</summary>
    public static float[] Downscale(float[] src, int h, int w, double scale, out int outH, out int outW)
    {
        if (!(scale > 0 && scale < 1)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Only downscaling (0 < scale < 1) is supported.");
        outH = (int)Math.Ceiling(h * scale);
        outW = (int)Math.Ceiling(w * scale);
        var (hIdx, hW, ks) = Taps(h, outH, scale);
        var tmp = new float[outH * w];
        // Height: out[i, c] = Σ_k x[idx(i,k), c] · wgt[k, i], summed in k order in float32.
        for (int i = 0; i < outH; i++)
        {
            var row = tmp.AsSpan(i * w, w);
            row.Clear();
            for (int k = 0; k < ks; k++)
            {
                float g = hW[k * outH + i];
                if (g == 0) continue; // adding 0·x (x finite) leaves every float32 sum unchanged
                var srcRow = src.AsSpan(hIdx[i * ks + k] * w, w);
                var vg = new Vector<float>(g);
                int c = 0, vs = Vector<float>.Count;
                // Multiply, round, then add (no FMA): the same two roundings as torch's sample * weight then sum.
                for (; c + vs <= w; c += vs)
                    (new Vector<float>(row.Slice(c, vs)) + new Vector<float>(srcRow.Slice(c, vs)) * vg).CopyTo(row.Slice(c, vs));
                for (; c < w; c++) row[c] += srcRow[c] * g;
            }
        }
        var (wIdx, wW, ksw) = Taps(w, outW, scale);
        var dst = new float[outH * outW];
        for (int r = 0; r < outH; r++)
        {
            var srcRow = tmp.AsSpan(r * w, w);
            for (int j = 0; j < outW; j++)
            {
                float acc = 0;
                for (int k = 0; k < ksw; k++) acc += srcRow[wIdx[j * ksw + k]] * wW[k * outW + j];
                dst[r * outW + j] = acc;
            }
        }
        return dst;
    }

    /// <summary>Source index (after symmetric padding is folded back) and float32 weight of each tap, as resize_1d builds them.</summary>
    static (int[] Index, float[] Weight, int KernelSize) Taps(int inSize, int outSize, double scale)
    {
        float s = (float)scale;
        int ks = (int)Math.Ceiling(4 / scale) + 2; // cubic support 4, widened by 1/scale, plus a margin of 2
        var weight = new float[ks * outSize];
        var index = new int[outSize * ks];
        for (int i = 0; i < outSize; i++)
        {
            float pos = ((float)i + 0.5f) / s - 0.5f;
            float bas = MathF.Floor(pos) - ks / 2 + 1;
            float dist = pos - bas;
            float sum = 0;
            for (int k = 0; k < ks; k++)
            {
                float v = Cubic((dist - k) * s);
                weight[k * outSize + i] = v;
                sum += v;
            }
            for (int k = 0; k < ks; k++) weight[k * outSize + i] /= sum;
            int b0 = (int)bas;
            for (int k = 0; k < ks; k++) index[i * ks + k] = Symmetric(b0 + k, inSize);
        }
        return (index, weight, ks);
    }

    /// <summary>pyiqa's cubic_contribution with a = −0.5, evaluated in float32 in the same operation order.</summary>
    static float Cubic(float x)
    {
        const float a = -0.5f;
        float ax = MathF.Abs(x);
        float ax2 = ax * ax;
        float ax3 = ax * ax2;
        float c01 = (a + 2) * ax3 - (a + 3) * ax2 + 1;
        float c12 = a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a;
        float r01 = ax <= 1 ? c01 : 0f;
        float r12 = ax > 1 && ax <= 2 ? c12 : 0f;
        return r01 + r12;
    }

    /// <summary>MATLAB 'symmetric' padding (edge sample repeated): −1 → 0, n → n−1.</summary>
    static int Symmetric(int t, int n)
    {
        if (n == 1) return 0;
        int period = 2 * n;
        t %= period;
        if (t < 0) t += period;
        return t < n ? t : period - 1 - t;
    }
}
