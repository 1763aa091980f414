// Port of pyiqa's to_y_channel / rgb2yiq / rgb2ycbcr (chaofengc/IQA-PyTorch, pyiqa/utils/color_util.py,
// commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8; itself after piq's colour_conversion.py).

using System.Numerics;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// Y channel of an RGB image exactly as pyiqa computes it in float32: a (N,H,W,3)×(3,3) matmul whose inner product is
/// evaluated left to right without FMA, ((R·w0 + G·w1) + B·w2), then (YCbCr only) +16 and /255, then ×out_data_range.
/// The order matters: pixels whose exact value sits on a .5 boundary round the same way as pyiqa only with this order
/// (checked bit-exactly against the fixture's rounded Y planes).
/// </summary>
internal static class LumaConversion
{
    // PORT-QUIRK(pyiqa, color_util.py): weights are float32 tensors; the products and sums are float32 too.
    const float YiqR = 0.299f, YiqG = 0.587f, YiqB = 0.114f;
    const float YcbcrR = 65.481f, YcbcrG = 128.553f, YcbcrB = 24.966f, YcbcrBias = 16f, YcbcrScale = 255f;

    /// <summary>Y of planar RGB (3×H×W) times <paramref name="outRange"/>, float32, like <c>to_y_channel(x, outRange, cs)</c>.</summary>
    public static float[] ToY(float[] rgb, int plane, YChannelColorSpace colorSpace, float outRange)
    {
        var y = new float[plane];
        ToY(rgb.AsSpan(0, plane), rgb.AsSpan(plane, plane), rgb.AsSpan(2 * plane, plane), colorSpace, outRange, y);
        return y;
    }

    /// <summary>Y of the pixels of three channel spans, into <paramref name="y"/>.</summary>
    public static void ToY(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, YChannelColorSpace colorSpace,
                           float outRange, Span<float> y)
    {
        int n = y.Length, vs = Vector<float>.Count, i = 0;
        if (colorSpace == YChannelColorSpace.Yiq)
        {
            // Separate multiplies and adds (no FMA), exactly the scalar order below.
            var vr = new Vector<float>(YiqR); var vg = new Vector<float>(YiqG); var vb = new Vector<float>(YiqB);
            var vo = new Vector<float>(outRange);
            for (; i + vs <= n; i += vs)
            {
                var v = new Vector<float>(r.Slice(i, vs)) * vr + new Vector<float>(g.Slice(i, vs)) * vg;
                v += new Vector<float>(b.Slice(i, vs)) * vb;
                (v * vo).CopyTo(y.Slice(i, vs));
            }
            for (; i < n; i++)
            {
                float v = r[i] * YiqR + g[i] * YiqG;
                v += b[i] * YiqB;
                y[i] = v * outRange;
            }
        }
        else
        {
            for (; i < n; i++)
            {
                float v = r[i] * YcbcrR + g[i] * YcbcrG;
                v += b[i] * YcbcrB;
                v = (v + YcbcrBias) / YcbcrScale;
                y[i] = v * outRange;
            }
        }
    }

    /// <summary>
    /// pyiqa's <c>preprocess_rgb(x, test_y_channel, 255, cs)</c> followed by <c>.to(float64)</c>: Y (or every channel)
    /// scaled to [0,255] in float32, rounded half-to-even (torch.round), then widened. Returns one plane per channel.
    /// </summary>
    public static double[][] ToRounded255(MetricImage image, bool testYChannel, YChannelColorSpace colorSpace)
    {
        int plane = image.Plane;
        if (testYChannel && image.Channels == 3)
        {
            var y = ToY(image.Data, plane, colorSpace, 255f);
            return [RoundToDouble(y, 0, plane)];
        }
        var planes = new double[image.Channels][];
        var scaled = new float[plane];
        for (int c = 0; c < image.Channels; c++)
        {
            for (int i = 0; i < plane; i++) scaled[i] = image.Data[c * plane + i] * 255f;
            planes[c] = RoundToDouble(scaled, 0, plane);
        }
        return planes;
    }

    static double[] RoundToDouble(float[] src, int offset, int count)
    {
        var dst = new double[count];
        // PORT-QUIRK(pyiqa, func_util.py): diff_round is x - x.detach() + x.round(); in float32 that is exactly round(x).
        for (int i = 0; i < count; i++) dst[i] = MathF.Round(src[offset + i], MidpointRounding.ToEven);
        return dst;
    }
}
