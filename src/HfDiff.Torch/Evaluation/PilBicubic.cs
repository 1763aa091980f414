// Port of Pillow's Image.resize(..., Image.BICUBIC) for 8-bit RGB (libImaging/Resample.c, Pillow 9.x–11.x).
// The SR papers' "bicubic" baseline rows are made with it (PIL), so the baseline here is bit-exact with theirs.
namespace HfDiff.Torch.Evaluation;

/// <summary>
/// Pillow's separable bicubic resampling (a = −0.5, support 2 scaled by the down-scaling factor, weights normalised per
/// output pixel) in Pillow's 8-bit fixed-point arithmetic: 22-bit coefficients, horizontal pass first into an 8-bit
/// intermediate, then the vertical pass, each rounded and clipped to [0, 255].
/// </summary>
public static class PilBicubic
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes interleaved RGB24 <paramref name="rgb"/> (<paramref name="width"/>×<paramref name="height"/>) to the given size.</summary>
    public static byte[] Resize(byte[] rgb, int width, int height, int outWidth, int outHeight)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (width < 1 || height < 1 || (long)width * height * 3 != rgb.Length)
            throw new ArgumentException($"rgb must hold {width}x{height} RGB pixels; got {rgb.Length} bytes.", nameof(rgb));
        if (outWidth < 1 || outHeight < 1)
            throw new ArgumentOutOfRangeException(nameof(outWidth), $"Output size must be positive; got {outWidth}x{outHeight}.");
        var tmp = width == outWidth ? rgb : Horizontal(rgb, width, height, outWidth);
        return height == outHeight ? (tmp == rgb ? (byte[])rgb.Clone() : tmp) : Vertical(tmp, outWidth, height, outHeight);
    }

    static double Filter(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Pillow's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c>: per output pixel the first input index,
    /// the tap count and fixed-point weights.</summary>
    static (int[] Start, int[] Count, int[] Weights, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        double support = 2.0 * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);   // C cast: truncation toward zero
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++)
            {
                double w = Filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return (start, count, weights, ksize);
    }

    static byte Clip8(int v)
    {
        int s = v >> PrecisionBits;   // arithmetic shift, as Pillow's lookup table index
        return (byte)(s < 0 ? 0 : s > 255 ? 255 : s);
    }

    static byte[] Horizontal(byte[] src, int width, int height, int outWidth)
    {
        var (start, count, w, ksize) = Coefficients(width, outWidth);
        var dst = new byte[outWidth * height * 3];
        for (int y = 0; y < height; y++)
        {
            int row = y * width * 3, orow = y * outWidth * 3;
            for (int xx = 0; xx < outWidth; xx++)
            {
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                int x0 = start[xx], n = count[xx], kb = xx * ksize;
                for (int x = 0; x < n; x++)
                {
                    int p = row + (x0 + x) * 3, c = w[kb + x];
                    s0 += src[p] * c; s1 += src[p + 1] * c; s2 += src[p + 2] * c;
                }
                dst[orow + xx * 3] = Clip8(s0); dst[orow + xx * 3 + 1] = Clip8(s1); dst[orow + xx * 3 + 2] = Clip8(s2);
            }
        }
        return dst;
    }

    static byte[] Vertical(byte[] src, int width, int height, int outHeight)
    {
        var (start, count, w, ksize) = Coefficients(height, outHeight);
        var dst = new byte[width * outHeight * 3];
        for (int yy = 0; yy < outHeight; yy++)
        {
            int y0 = start[yy], n = count[yy], kb = yy * ksize, orow = yy * width * 3;
            for (int x = 0; x < width * 3; x++)
            {
                int s = 1 << (PrecisionBits - 1);
                for (int y = 0; y < n; y++) s += src[(y0 + y) * width * 3 + x] * w[kb + y];
                dst[orow + x] = Clip8(s);
            }
        }
        return dst;
    }
}
