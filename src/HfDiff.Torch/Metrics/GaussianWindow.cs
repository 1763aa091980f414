// Port of pyiqa's fspecial (MATLAB fspecial('gaussian')) (chaofengc/IQA-PyTorch, pyiqa/matlab_utils/functions.py,
// commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8).

namespace HfDiff.Torch.Metrics;

/// <summary>
/// The normalised size×size Gaussian window of MATLAB's <c>fspecial('gaussian', size, sigma)</c> as pyiqa builds it:
/// computed in float64 with numpy, normalised by numpy's (pairwise) sum, then stored as float32 and widened again.
/// </summary>
internal static class GaussianWindow
{
    /// <summary>Row-major size×size window values (float32-rounded, as doubles).</summary>
    public static double[] Create(int size, double sigma)
    {
        double m = (size - 1.0) / 2.0;
        var h = new double[size * size];
        double max = 0;
        for (int i = 0; i < size; i++)
        {
            double y = -m + i;
            for (int j = 0; j < size; j++)
            {
                double x = -m + j;
                double v = Math.Exp(-(x * x + y * y) / (2.0 * sigma * sigma));
                h[i * size + j] = v;
                if (v > max) max = v;
            }
        }
        double cut = 2.220446049250313e-16 * max; // np.finfo(float64).eps * h.max()
        for (int i = 0; i < h.Length; i++) if (h[i] < cut) h[i] = 0;
        double sum = NumpySum(h);
        if (sum != 0) for (int i = 0; i < h.Length; i++) h[i] /= sum;
        // PORT-QUIRK(pyiqa, functions.py): fspecial returns torch.from_numpy(h).float(); the metric then casts the window
        // back to float64, so the weights carry float32 rounding (the 2-D window is therefore not exactly separable).
        for (int i = 0; i < h.Length; i++) h[i] = (float)h[i];
        return h;
    }

    /// <summary>numpy's <c>add.reduce</c> of a contiguous float64 array: first element, plus the pairwise sum of the rest.</summary>
    internal static double NumpySum(ReadOnlySpan<double> a)
    {
        if (a.Length == 0) return 0;
        return a[0] + PairwiseSum(a[1..]);
    }

    // numpy/core/src/umath/loops_utils.h.src pairwise_sum (PW_BLOCKSIZE 128, 8 partial sums).
    static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            for (int j = 0; j < 8; j++) r[j] = a[j];
            int i = 8;
            for (; i < n - n % 8; i += 8)
                for (int j = 0; j < 8; j++) r[j] += a[i + j];
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }
}
