// Port of the blur-kernel section of XPixelGroup/BasicSR basicsr/data/degradations.py
// (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a): sigma_matrix2, mesh_grid, pdf2, bivariate_Gaussian,
// bivariate_generalized_Gaussian, bivariate_plateau, circular_lowpass_kernel.
// Paper: Wang et al., "Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure Synthetic Data", ICCVW 2021.
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Deterministic blur kernels of the Real-ESRGAN degradation model, computed in float64 like the numpy reference.
/// Kernels are square <c>[k, k]</c> arrays indexed <c>[row, column]</c>, normalised to sum 1.
/// </summary>
public static class BlurKernels
{
    /// <summary>The padded size of every kernel in the Real-ESRGAN pipeline (hard-coded 21 in the reference).</summary>
    public const int PaddedSize = 21;

    /// <summary>
    /// Rotated covariance <c>U diag(σx², σy²) Uᵀ</c> with <c>U = [[cos θ, −sin θ], [sin θ, cos θ]]</c> (θ in radians).
    /// </summary>
    public static double[,] SigmaMatrix2(double sigX, double sigY, double theta)
    {
        double c = Math.Cos(theta), s = Math.Sin(theta);
        double dx = sigX * sigX, dy = sigY * sigY;
        // U D Uᵀ written out; same products as np.dot(U, np.dot(D, U.T)).
        return new double[,]
        {
            { c * (dx * c) + (-s) * (dy * (-s)), c * (dx * s) + (-s) * (dy * c) },
            { s * (dx * c) + c * (dy * (-s)), s * (dx * s) + c * (dy * c) },
        };
    }

    /// <summary>
    /// Grid centred at zero: <c>[k, k, 2]</c> with <c>[i, j] = (x = ax[j], y = ax[i])</c> and
    /// <c>ax = arange(−k//2 + 1, k//2 + 1)</c> (Python floor division, so −10..10 for k = 21).
    /// </summary>
    public static double[,,] MeshGrid(int kernelSize)
    {
        CheckSize(kernelSize, nameof(kernelSize), requireOdd: false);
        int start = FloorDiv(-kernelSize, 2) + 1;
        var xy = new double[kernelSize, kernelSize, 2];
        for (int i = 0; i < kernelSize; i++)
            for (int j = 0; j < kernelSize; j++)
            {
                xy[i, j, 0] = start + j;
                xy[i, j, 1] = start + i;
            }
        return xy;
    }

    /// <summary>
    /// Bivariate Gaussian kernel <c>exp(−½ d)</c>, <c>d = pᵀ Σ⁻¹ p</c>, normalised. In the isotropic mode only
    /// <paramref name="sigX"/> is used (<paramref name="sigY"/> and <paramref name="theta"/> are ignored).
    /// </summary>
    public static double[,] BivariateGaussian(int kernelSize, double sigX, double sigY, double theta, bool isotropic = true) =>
        Normalise(MapQuadraticForm(kernelSize, sigX, sigY, theta, isotropic, d => Math.Exp(-0.5 * d)));

    /// <summary>
    /// Bivariate generalized Gaussian kernel <c>exp(−½ d^β)</c>, normalised (Pascal et al. 2013). Isotropic mode as in
    /// <see cref="BivariateGaussian"/>.
    /// </summary>
    public static double[,] BivariateGeneralizedGaussian(int kernelSize, double sigX, double sigY, double theta, double beta, bool isotropic = true) =>
        Normalise(MapQuadraticForm(kernelSize, sigX, sigY, theta, isotropic, d => Math.Exp(-0.5 * Math.Pow(d, beta))));

    /// <summary>Plateau-shaped kernel <c>1 / (d^β + 1)</c>, normalised. Isotropic mode as in <see cref="BivariateGaussian"/>.</summary>
    public static double[,] BivariatePlateau(int kernelSize, double sigX, double sigY, double theta, double beta, bool isotropic = true) =>
        Normalise(MapQuadraticForm(kernelSize, sigX, sigY, theta, isotropic, d => 1.0 / (Math.Pow(d, beta) + 1)));

    /// <summary>
    /// 2-D circularly symmetric low-pass (sinc) kernel: <c>cutoff·J1(cutoff·r) / (2π r)</c>, r measured from the centre
    /// <c>(k−1)/2</c>, centre value <c>cutoff²/(4π)</c>, normalised, then zero-padded to <paramref name="padTo"/> when larger.
    /// </summary>
    /// <param name="cutoff">Cutoff frequency in radians (π is the maximum).</param>
    /// <param name="kernelSize">Odd kernel size.</param>
    /// <param name="padTo">Target size (odd) or 0 for no padding.</param>
    public static double[,] CircularLowpass(double cutoff, int kernelSize, int padTo = 0)
    {
        CheckSize(kernelSize, nameof(kernelSize), requireOdd: true);
        if (!double.IsFinite(cutoff)) throw new ArgumentOutOfRangeException(nameof(cutoff), $"cutoff must be finite; got {cutoff}.");
        double c = (kernelSize - 1) / 2.0;
        var k = new double[kernelSize, kernelSize];
        for (int x = 0; x < kernelSize; x++)
            for (int y = 0; y < kernelSize; y++)
            {
                double r = Math.Sqrt((x - c) * (x - c) + (y - c) * (y - c));
                k[x, y] = cutoff * BesselJ1.Evaluate(cutoff * r) / (2 * Math.PI * r);
            }
        int mid = (kernelSize - 1) / 2;
        k[mid, mid] = cutoff * cutoff / (4 * Math.PI); // the formula is 0/0 at the centre; this is its limit
        k = Normalise(k);
        return padTo > kernelSize ? ZeroPad(k, padTo) : k;
    }

    /// <summary>
    /// Zero-pads a <c>[k, k]</c> kernel to <c>[size, size]</c> with <c>(size − k) // 2</c> on each side, like the
    /// dataset's <c>np.pad</c> (sizes of equal parity keep the kernel centred).
    /// </summary>
    public static double[,] ZeroPad(double[,] kernel, int size)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int k = kernel.GetLength(0);
        if (kernel.GetLength(1) != k) throw new ArgumentException($"kernel must be square; got [{k}, {kernel.GetLength(1)}].", nameof(kernel));
        if (size < k) throw new ArgumentOutOfRangeException(nameof(size), $"size must be >= the kernel size {k}; got {size}.");
        int pad = (size - k) / 2;
        // PORT-QUIRK(BasicSR, degradations.py): np.pad with pad each side gives k + 2·pad, which is size only for
        // sizes of equal parity; we keep that (odd kernels, odd target) instead of padding asymmetrically.
        var outK = new double[k + 2 * pad, k + 2 * pad];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                outK[i + pad, j + pad] = kernel[i, j];
        return outK;
    }

    /// <summary>The 21×21 pulse (1 at the centre): filtering with it leaves an image unchanged.</summary>
    public static double[,] Pulse(int size = PaddedSize)
    {
        CheckSize(size, nameof(size), requireOdd: true);
        var k = new double[size, size];
        k[size / 2, size / 2] = 1;
        return k;
    }

    /// <summary>Kernel as a tensor <c>[k, k]</c> of the given dtype (float32 as <c>torch.FloatTensor(kernel)</c> in the reference).</summary>
    public static Tensor ToTensor(double[,] kernel, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int h = kernel.GetLength(0), w = kernel.GetLength(1);
        var flat = new double[h * w];
        Buffer.BlockCopy(kernel, 0, flat, 0, flat.Length * sizeof(double));
        using var t = tensor(flat, [h, w], ScalarType.Float64);
        return t.to_type(dtype);
    }

    /// <summary>Stacks kernels of one size into <c>[n, k, k]</c>.</summary>
    public static Tensor Stack(IReadOnlyList<double[,]> kernels, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        if (kernels.Count == 0) throw new ArgumentException("kernels must not be empty.", nameof(kernels));
        using var scope = NewDisposeScope();
        var parts = kernels.Select(k => ToTensor(k, dtype)).ToArray();
        return stack(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Reads a <c>[k, k]</c> tensor (any float dtype) back into a float64 array.</summary>
    public static double[,] FromTensor(Tensor kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.dim() != 2) throw new ArgumentException($"kernel must be 2-D [k, k]; got shape [{string.Join(", ", kernel.shape)}].", nameof(kernel));
        using var d = kernel.detach().cpu().to_type(ScalarType.Float64).contiguous();
        var flat = d.data<double>().ToArray();
        int h = (int)kernel.shape[0], w = (int)kernel.shape[1];
        var k = new double[h, w];
        Buffer.BlockCopy(flat, 0, k, 0, flat.Length * sizeof(double));
        return k;
    }

    static double[,] MapQuadraticForm(int kernelSize, double sigX, double sigY, double theta, bool isotropic, Func<double, double> f)
    {
        CheckSize(kernelSize, nameof(kernelSize), requireOdd: false);
        if (!(sigX > 0) || !double.IsFinite(sigX)) throw new ArgumentOutOfRangeException(nameof(sigX), $"sigX must be > 0; got {sigX}.");
        if (!isotropic && (!(sigY > 0) || !double.IsFinite(sigY))) throw new ArgumentOutOfRangeException(nameof(sigY), $"sigY must be > 0; got {sigY}.");
        var sigma = isotropic ? new double[,] { { sigX * sigX, 0 }, { 0, sigX * sigX } } : SigmaMatrix2(sigX, sigY, theta);
        // 2x2 inverse.
        double a = sigma[0, 0], b = sigma[0, 1], c = sigma[1, 0], d = sigma[1, 1];
        double det = a * d - b * c;
        double i00 = d / det, i01 = -b / det, i10 = -c / det, i11 = a / det;
        var grid = MeshGrid(kernelSize);
        var k = new double[kernelSize, kernelSize];
        for (int i = 0; i < kernelSize; i++)
            for (int j = 0; j < kernelSize; j++)
            {
                double x = grid[i, j, 0], y = grid[i, j, 1];
                // sum((p @ Σ⁻¹) * p): row vector p times the inverse, then elementwise with p.
                double q = (x * i00 + y * i10) * x + (x * i01 + y * i11) * y;
                k[i, j] = f(q);
            }
        return k;
    }

    static double[,] Normalise(double[,] k)
    {
        double sum = 0;
        foreach (var v in k) sum += v;
        int h = k.GetLength(0), w = k.GetLength(1);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                k[i, j] /= sum;
        return k;
    }

    static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);

    static void CheckSize(int size, string name, bool requireOdd)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(name, $"{name} must be >= 1; got {size}.");
        if (requireOdd && size % 2 == 0) throw new ArgumentOutOfRangeException(name, $"{name} must be odd; got {size}.");
    }
}
