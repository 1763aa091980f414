using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// 'valid' 2-D correlation (what <c>F.conv2d</c> computes, no padding) of float64 planes with a full k×k window,
/// vectorised over columns. pyiqa's windows are float32-rounded, hence not separable, so the full window is applied;
/// the statistics SSIM and NIQE need are accumulated in the same pass.
/// </summary>
internal static class WindowFilter
{
    /// <summary>
    /// MSCN coefficients for output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>): with μ = Σ w·x and
    /// E = Σ w·x² over the k×k window of the padded plane (<paramref name="padded"/>, width <paramref name="pw"/>),
    /// result = (x − μ) / (sqrt(|E − μ²| + eps) + 1), x the centre pixel (pyiqa normalize_img_with_guass, C = 1).
    /// The result plane is (pw − k + 1) wide.
    /// </summary>
    public static void Mscn(double[] padded, int pw, double[] window, int k, double eps, int rowStart, int rowEnd, double[] result)
    {
        int wo = pw - k + 1, half = k / 2;
        var wv = Broadcast(window);
        int vs = Vector<double>.Count;
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(padded);
        var veps = new Vector<double>(eps);
        var one = Vector<double>.One;
        for (int r = rowStart; r < rowEnd; r++)
        {
            int centre = (r + half) * pw + half;
            int c = 0;
            for (; c + vs <= wo; c += vs)
            {
                var a = Vector<double>.Zero;
                var b = Vector<double>.Zero;
                for (int i = 0; i < k; i++)
                {
                    int row = (r + i) * pw + c;
                    for (int j = 0; j < k; j++)
                    {
                        var x = Vector.LoadUnsafe(ref s0, (nuint)(row + j));
                        var g = wv[i * k + j];
                        a = Vector.FusedMultiplyAdd(x, g, a);
                        b = Vector.FusedMultiplyAdd(x * x, g, b);
                    }
                }
                var sigma = Vector.SquareRoot(Vector.Abs(b - a * a) + veps);
                var xc = Vector.LoadUnsafe(ref s0, (nuint)(centre + c));
                ((xc - a) / (sigma + one)).CopyTo(result, r * wo + c);
            }
            for (; c < wo; c++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < k; i++)
                {
                    int row = (r + i) * pw + c;
                    for (int j = 0; j < k; j++)
                    {
                        double x = padded[row + j], g = window[i * k + j];
                        a = Math.FusedMultiplyAdd(x, g, a);
                        b = Math.FusedMultiplyAdd(x * x, g, b);
                    }
                }
                double sigma = Math.Sqrt(Math.Abs(b - a * a) + eps);
                result[r * wo + c] = (padded[centre + c] - a) / (sigma + 1);
            }
        }
    }

    /// <summary>
    /// Sum over the valid positions of one output row of pyiqa's SSIM map, for rows [<paramref name="rowStart"/>,
    /// <paramref name="rowEnd"/>), one sum per row (so a parallel caller adds them in a fixed order).
    /// </summary>
    public static void SsimRowSums(double[] x, double[] y, int h, int w, double[] window, int k, double c1, double c2,
                                   int rowStart, int rowEnd, double[] rowSums)
    {
        int wo = w - k + 1;
        var wv = Broadcast(window);
        int vs = Vector<double>.Count;
        ref double x0 = ref MemoryMarshal.GetArrayDataReference(x);
        ref double y0 = ref MemoryMarshal.GetArrayDataReference(y);
        var vc1 = new Vector<double>(c1);
        var vc2 = new Vector<double>(c2);
        var two = new Vector<double>(2.0);
        for (int r = rowStart; r < rowEnd; r++)
        {
            var acc = Vector<double>.Zero;
            int c = 0;
            for (; c + vs <= wo; c += vs)
            {
                Vector<double> mx = default, my = default, sxx = default, syy = default, sxy = default;
                for (int i = 0; i < k; i++)
                {
                    int row = (r + i) * w + c;
                    for (int j = 0; j < k; j++)
                    {
                        var a = Vector.LoadUnsafe(ref x0, (nuint)(row + j));
                        var b = Vector.LoadUnsafe(ref y0, (nuint)(row + j));
                        var g = wv[i * k + j];
                        mx = Vector.FusedMultiplyAdd(a, g, mx);
                        my = Vector.FusedMultiplyAdd(b, g, my);
                        sxx = Vector.FusedMultiplyAdd(a * a, g, sxx);
                        syy = Vector.FusedMultiplyAdd(b * b, g, syy);
                        sxy = Vector.FusedMultiplyAdd(a * b, g, sxy);
                    }
                }
                var mx2 = mx * mx;
                var my2 = my * my;
                var mxy = mx * my;
                var s1 = sxx - mx2;
                var s2 = syy - my2;
                var s12 = sxy - mxy;
                var cs = (two * s12 + vc2) / (s1 + s2 + vc2);
                cs = Vector.Max(cs, Vector<double>.Zero); // F.relu
                acc += (two * mxy + vc1) / (mx2 + my2 + vc1) * cs;
            }
            double sum = Vector.Sum(acc);
            for (; c < wo; c++)
            {
                double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
                for (int i = 0; i < k; i++)
                {
                    int row = (r + i) * w + c;
                    for (int j = 0; j < k; j++)
                    {
                        double a = x[row + j], b = y[row + j], g = window[i * k + j];
                        mx = Math.FusedMultiplyAdd(a, g, mx);
                        my = Math.FusedMultiplyAdd(b, g, my);
                        sxx = Math.FusedMultiplyAdd(a * a, g, sxx);
                        syy = Math.FusedMultiplyAdd(b * b, g, syy);
                        sxy = Math.FusedMultiplyAdd(a * b, g, sxy);
                    }
                }
                sum += SsimPoint(mx, my, sxx, syy, sxy, c1, c2);
            }
            rowSums[r] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static double SsimPoint(double mx, double my, double sxx, double syy, double sxy, double c1, double c2)
    {
        double mx2 = mx * mx, my2 = my * my, mxy = mx * my;
        double s1 = sxx - mx2, s2 = syy - my2, s12 = sxy - mxy;
        double cs = (2 * s12 + c2) / (s1 + s2 + c2);
        if (cs < 0) cs = 0; // F.relu
        return (2 * mxy + c1) / (mx2 + my2 + c1) * cs;
    }

    static Vector<double>[] Broadcast(double[] window)
    {
        var v = new Vector<double>[window.Length];
        for (int i = 0; i < window.Length; i++) v[i] = new Vector<double>(window[i]);
        return v;
    }
}
