namespace HfDiff.Torch.Degradations;

/// <summary>
/// Bessel function of the first kind, order one, for the circular low-pass (sinc) kernel. The reference calls
/// <c>scipy.special.j1</c>; we evaluate Bessel's integral <c>J1(x) = (1/2π) ∫ cos(τ − x sin τ) dτ</c> over one
/// period with the trapezoidal rule, which converges geometrically for periodic analytic integrands: with M nodes the
/// error is of the order of J_M(x), far below double precision for M well above e·|x|/2.
/// </summary>
internal static class BesselJ1
{
    public static double Evaluate(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x == 0) return 0;
        double ax = Math.Abs(x);
        if (ax > 1000) throw new ArgumentOutOfRangeException(nameof(x), $"x must be within [-1000, 1000] for this evaluation; got {x}.");
        // Node count: comfortably beyond e|x|/2 + 30, rounded to a multiple of 4 for the symmetric half-sum below.
        int m = ((int)(1.5 * ax) + 64 + 3) / 4 * 4;
        // The integrand f(τ)=cos(τ − x sin τ) is even about 0 and π, so the full-period trapezoid sum equals
        // f(0) + f(π) + 2 Σ_{k=1}^{m/2−1} f(2πk/m), divided by m.
        double sum = Math.Cos(0) + Math.Cos(Math.PI); // f(0)=1, f(π)=cos(π − 0)=−1
        for (int k = 1; k < m / 2; k++)
        {
            double tau = 2 * Math.PI * k / m;
            sum += 2 * Math.Cos(tau - ax * Math.Sin(tau));
        }
        double j = sum / m;
        return x < 0 ? -j : j; // J1 is odd
    }
}
