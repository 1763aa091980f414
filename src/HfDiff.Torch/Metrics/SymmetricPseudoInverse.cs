namespace HfDiff.Torch.Metrics;

/// <summary>
/// Moore–Penrose pseudo-inverse of a small symmetric matrix through a cyclic Jacobi eigendecomposition, with
/// torch.linalg.pinv's default cut-off (singular values ≤ max(m,n)·eps·σ_max are dropped). For a symmetric matrix the
/// singular values are |λ| and pinv = Σ v·vᵀ/λ over the kept eigenpairs, which is what the SVD route gives.
/// Done here instead of through libtorch because a LAPACK call on a 36×36 matrix starts OpenMP workers whose
/// spinning costs far more than the decomposition itself on a busy machine.
/// </summary>
internal static class SymmetricPseudoInverse
{
    /// <summary>pinv of the n×n row-major matrix <paramref name="matrix"/> (symmetrised first as (A + Aᵀ)/2).</summary>
    public static double[] Compute(double[] matrix, int n)
    {
        var a = new double[n * n];
        if (matrix.Any(x => !double.IsFinite(x))) { Array.Fill(a, double.NaN); return a; }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = (matrix[i * n + j] + matrix[j * n + i]) / 2;
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;

        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[i * n + i] * a[i * n + i];
                for (int j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
            }
            if (off == 0 || off < 1e-34 * diag) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double app = a[p * n + p], aqq = a[q * n + q];
                    double theta = (aqq - app) / (2 * apq);
                    // t = tan of the rotation angle, the smaller root of t² + 2θt − 1 = 0.
                    double t = double.IsInfinity(theta * theta)
                        ? 1 / (2 * theta)
                        : (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        if (k == p || k == q) continue;
                        double akp = a[k * n + p], akq = a[k * n + q];
                        double nkp = c * akp - s * akq, nkq = s * akp + c * akq;
                        a[k * n + p] = a[p * n + k] = nkp;
                        a[k * n + q] = a[q * n + k] = nkq;
                    }
                    a[p * n + p] = app - t * apq;
                    a[q * n + q] = aqq + t * apq;
                    a[p * n + q] = a[q * n + p] = 0;
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }

        double max = 0;
        for (int i = 0; i < n; i++) max = Math.Max(max, Math.Abs(a[i * n + i]));
        double cutoff = n * 2.220446049250313e-16 * max; // rtol = eps·max(m, n)
        var inv = new double[n * n];
        for (int e = 0; e < n; e++)
        {
            double lambda = a[e * n + e];
            if (!(Math.Abs(lambda) > cutoff)) continue;
            double r = 1 / lambda;
            for (int i = 0; i < n; i++)
            {
                double vi = v[i * n + e] * r;
                for (int j = 0; j < n; j++) inv[i * n + j] += vi * v[j * n + e];
            }
        }
        return inv;
    }
}
