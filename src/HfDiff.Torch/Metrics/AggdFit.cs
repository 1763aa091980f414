// Port of pyiqa's estimate_aggd_param (chaofengc/IQA-PyTorch, pyiqa/archs/func_util.py,
// commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8; after BasicSR's niqe.py / the MATLAB niqe_release estimateaggdparam.m).
// Lasmar, Stitou, Berthoumieu, "Multiscale skewed heavy tailed model for texture analysis", ICIP 2009.
using System.Numerics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// Moment-matching fit of an asymmetric generalised Gaussian (AGGD) on pyiqa's grid of shape values
/// γ = 0.2, 0.201, …, 10: the γ whose ratio r(γ) = Γ(2/γ)² / (Γ(1/γ)Γ(3/γ)) is nearest to the sample statistic.
/// </summary>
internal static class AggdFit
{
    /// <summary>One fit: shape α and the left/right scales β_l, β_r.</summary>
    public readonly record struct Result(double Alpha, double BetaLeft, double BetaRight, int GridIndex)
    {
        /// <summary>pyiqa's "mean" feature (β_r − β_l)·Γ(2/α)/Γ(1/α) (NIQE paper Eq. 8).</summary>
        public double Mean => (BetaRight - BetaLeft) * Grid.Value.MeanFactor[GridIndex];
    }

    internal sealed class Tables
    {
        public required double[] Gamma { get; init; }
        public required double[] Ratio { get; init; }
        public required double[] BetaFactor { get; init; }
        public required double[] MeanFactor { get; init; }
        public required bool RatioIncreasing { get; init; }
    }

    internal static readonly Lazy<Tables> Grid = new(BuildTables);

    /// <summary>
    /// PORT-QUIRK(pyiqa, func_util.py): <c>torch.arange(0.2, 10 + 0.001, 0.001)</c> is float32 (then cast to float64).
    /// Its CPU kernel fills 8-lane vectors as fl32(fl32(0.2 + 0.001·i₀) + j·0.001) (i₀ = lane-block start, j = lane)
    /// for the first ⌊n/16⌋·16 elements and fl32(0.2 + 0.001·i) for the rest; reproduced here value for value
    /// (checked against torch 1.13).
    /// </summary>
    internal static double[] GammaGrid()
    {
        const double start = 0.2, step = 0.001;
        int n = (int)Math.Ceiling((10 + 0.001 - start) / step);
        var g = new double[n];
        int vectorized = n / 16 * 16;
        for (int i0 = 0; i0 < vectorized; i0 += 8)
        {
            float b = (float)(start + step * i0);
            for (int j = 0; j < 8; j++) g[i0 + j] = (float)(b + j * step);
        }
        for (int i = vectorized; i < n; i++) g[i] = (float)(start + step * i);
        return g;
    }

    static Tables BuildTables()
    {
        var g = GammaGrid();
        int n = g.Length;
        // PORT-QUIRK(pyiqa, func_util.py): `2. / gam` is Tensor.__rtruediv__ = gam.reciprocal() * 2, not a true division.
        var inv = new double[n];
        for (int i = 0; i < n; i++) inv[i] = 1.0 / g[i];
        double[] lg1 = LogGamma(inv, 1.0), lg2 = LogGamma(inv, 2.0), lg3 = LogGamma(inv, 3.0);
        var ratio = new double[n];
        var beta = new double[n];
        var mean = new double[n];
        bool increasing = true;
        for (int i = 0; i < n; i++)
        {
            ratio[i] = Math.Exp(2 * lg2[i] - (lg1[i] + lg3[i]));
            beta[i] = Math.Sqrt(Math.Exp(lg1[i] - lg3[i]));
            mean[i] = Math.Exp(lg2[i] - lg1[i]);
            if (i > 0 && !(ratio[i] > ratio[i - 1])) increasing = false;
        }
        return new Tables { Gamma = g, Ratio = ratio, BetaFactor = beta, MeanFactor = mean, RatioIncreasing = increasing };
    }

    /// <summary>lgamma(inv·factor) with torch's lgamma (std::lgamma), as pyiqa evaluates it.</summary>
    static double[] LogGamma(double[] inv, double factor)
    {
        using var scope = NewDisposeScope();
        var t = tensor(inv, ScalarType.Float64) * factor;
        return t.lgamma().data<double>().ToArray();
    }

    /// <summary>x · torch.roll(x, (shiftY, shiftX), dims=(0, 1)) of an h×w block (circular shifts), into <paramref name="dst"/>.</summary>
    public static void ShiftedProduct(ReadOnlySpan<double> x, int h, int w, int shiftY, int shiftX, Span<double> dst)
    {
        // roll: out[i, j] = x[(i - shiftY) mod h, (j - shiftX) mod w]
        int sx = ((shiftX % w) + w) % w;
        for (int i = 0; i < h; i++)
        {
            int si = (((i - shiftY) % h) + h) % h;
            var row = x.Slice(i * w, w);
            var src = x.Slice(si * w, w);
            var o = dst.Slice(i * w, w);
            // columns j >= sx read src[j - sx]; the first sx columns wrap around to src[w - sx + j].
            for (int j = 0; j < sx; j++) o[j] = row[j] * src[w - sx + j];
            for (int j = sx; j < w; j++) o[j] = row[j] * src[j - sx];
        }
    }

    /// <summary>Fits the AGGD to the values of <paramref name="x"/> (one block, any order).</summary>
    public static Result Fit(ReadOnlySpan<double> x)
    {
        var zero = Vector<double>.Zero;
        Vector<double> sqL = zero, sqR = zero, abs = zero, sq = zero;
        Vector<long> cntL = Vector<long>.Zero, cntR = Vector<long>.Zero;
        int vs = Vector<double>.Count, i = 0;
        for (; i + vs <= x.Length; i += vs)
        {
            var v = new Vector<double>(x.Slice(i, vs));
            var v2 = v * v;
            var lt = Vector.LessThan(v, zero);
            var gt = Vector.GreaterThan(v, zero);
            sqL += Vector.ConditionalSelect(lt, v2, zero);
            sqR += Vector.ConditionalSelect(gt, v2, zero);
            cntL -= lt; // true lanes are all ones, i.e. -1
            cntR -= gt;
            abs += Vector.Abs(v);
            sq += v2;
        }
        double sumSqLeft = Vector.Sum(sqL), sumSqRight = Vector.Sum(sqR), sumAbs = Vector.Sum(abs), sumSq = Vector.Sum(sq);
        long countLeft = Vector.Sum(cntL), countRight = Vector.Sum(cntR);
        for (; i < x.Length; i++)
        {
            double v = x[i], v2 = v * v;
            if (v < 0) { sumSqLeft += v2; countLeft++; }
            else if (v > 0) { sumSqRight += v2; countRight++; }
            sumAbs += Math.Abs(v);
            sumSq += v2;
        }
        double n = x.Length;
        double leftStd = Math.Sqrt(sumSqLeft / countLeft);
        double rightStd = Math.Sqrt(sumSqRight / countRight);
        double gammaHat = leftStd / rightStd;
        double meanAbs = sumAbs / n;
        double rHat = meanAbs * meanAbs / (sumSq / n);
        double gh2 = gammaHat * gammaHat;
        double rHatNorm = rHat * (gh2 * gammaHat + 1) * (gammaHat + 1) / ((gh2 + 1) * (gh2 + 1));
        int k = NearestRatio(rHatNorm);
        var t = Grid.Value;
        return new Result(t.Gamma[k], leftStd * t.BetaFactor[k], rightStd * t.BetaFactor[k], k);
    }

    /// <summary>torch's <c>(r_gam - x).abs().argmin()</c>: first index of the smallest distance; NaN picks index 0.</summary>
    internal static int NearestRatio(double x)
    {
        var t = Grid.Value;
        var r = t.Ratio;
        if (double.IsNaN(x)) return 0;
        if (!t.RatioIncreasing) return LinearArgmin(r, x);
        // r is strictly increasing, so |r - x| is unimodal: compare the two neighbours of x.
        int lo = 0, hi = r.Length; // first index with r >= x
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (r[mid] < x) lo = mid + 1; else hi = mid;
        }
        if (lo == 0) return 0;
        if (lo == r.Length) return r.Length - 1;
        return Math.Abs(r[lo - 1] - x) <= Math.Abs(r[lo] - x) ? lo - 1 : lo;
    }

    internal static int LinearArgmin(double[] r, double x)
    {
        int best = 0;
        double bestD = Math.Abs(r[0] - x);
        for (int i = 1; i < r.Length; i++)
        {
            double d = Math.Abs(r[i] - x);
            if (d < bestD) { bestD = d; best = i; }
        }
        return best;
    }

}
