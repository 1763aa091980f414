// Port of pyiqa's NIQE (chaofengc/IQA-PyTorch, pyiqa/archs/niqe_arch.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8;
// itself from BasicSR basicsr/metrics/niqe.py and the MATLAB niqe_release). Mittal, Soundararajan, Bovik,
// "Making a 'completely blind' image quality analyzer", IEEE SPL 2013.
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging.Resize;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// NIQE (no-reference, lower is better) with pyiqa semantics, all in float64 except pyiqa's float32 resize: rounded Y·255,
/// crop to whole 96×96 blocks, at two scales MSCN coefficients (7×7 Gaussian, replicate padding) and per-block AGGD
/// features (18 per scale), then the distance between the blocks' Gaussian and the pristine one.
/// </summary>
public sealed class Niqe : IImageQualityMetric
{
    const int FeaturesPerScale = 18;
    const int MscnWindowSize = 7;
    const double MscnSigma = 7.0 / 6.0;
    static readonly Lazy<double[]> MscnWindow = new(() => GaussianWindow.Create(MscnWindowSize, MscnSigma));
    // Shifts of compute_feature's pairwise products (horizontal, vertical, two diagonals), torch.roll convention.
    static readonly (int Y, int X)[] Shifts = [(0, 1), (1, 0), (1, 1), (1, -1)];

    readonly NiqeParameters _parameters;
    readonly NiqeOptions _options;

    /// <summary>NIQE with the given pristine model.</summary>
    public Niqe(NiqeParameters parameters, NiqeOptions? options = null)
    {
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _options = options ?? new NiqeOptions();
        _options.Validate();
    }

    /// <summary>NIQE with the pristine model from the model directory (see <see cref="NiqeParameters.FromModelDirectory"/>).</summary>
    public static Niqe FromModelDirectory(ModelDirectory? models = null, NiqeOptions? options = null) =>
        new(NiqeParameters.FromModelDirectory(models), options);

    public NiqeOptions Options => _options;
    public NiqeParameters Parameters => _parameters;
    public string Name => "niqe";
    public MetricMode Mode => MetricMode.NoReference;
    public bool LowerIsBetter => true;

    /// <summary>
    /// NIQE fits a covariance over its 96×96 blocks (after the crop), so it needs at least two whole blocks: e.g.
    /// 96×192 or 192×96. (pyiqa divides by blocks − 1 and fails on one block.)
    /// </summary>
    public string? SizeProblem(long height, long width)
    {
        int cb = _options.CropBorder, bs = _options.BlockSize;
        long rows = Math.Max(0, (height - 2 * cb) / bs), cols = Math.Max(0, (width - 2 * cb) / bs);
        if (rows * cols >= 2) return null;
        return $"{Name} needs images with at least two {bs}×{bs} blocks, i.e. at least {bs + 2 * cb}×{2 * bs + 2 * cb} or {2 * bs + 2 * cb}×{bs + 2 * cb} pixels" +
               (cb > 0 ? $" with crop_border {cb}" : "") + $"; got {height}×{width} ({rows * cols} block{(rows * cols == 1 ? "" : "s")}).";
    }

    /// <summary>NIQE of <paramref name="distorted"/> ((1,3,H,W) float32 in [0,1]); a reference, if given, is ignored (no-reference metric).</summary>
    public double Score(Tensor distorted, Tensor? reference = null) => Analyze(distorted).Score;

    /// <summary>NIQE of one (1,3,H,W) float32 [0,1] image with the given pristine model (entry point for benchmarks).</summary>
    public static double Compute(Tensor image, NiqeParameters parameters, NiqeOptions? options = null)
    {
        using var niqe = new Niqe(parameters, options);
        return niqe.Score(image);
    }

    /// <summary>The score together with every intermediate (for checks and diagnostics).</summary>
    public NiqeAnalysis Analyze(Tensor image)
    {
        var img = MetricImage.FromTensor(image, nameof(image));
        return Analyze(img);
    }

    internal NiqeAnalysis Analyze(MetricImage image)
    {
        if (SizeProblem(image.Height, image.Width) is { } problem) throw new ArgumentException(problem);
        // PORT-QUIRK(pyiqa, niqe_arch.py): 3 channels always go to Y (test_y_channel is not consulted); 1 channel is ×255.
        var y255 = LumaConversion.ToRounded255(image, testYChannel: true, _options.ColorSpace)[0];
        int h = image.Height, w = image.Width;
        int cb = _options.CropBorder, bs = _options.BlockSize;
        int ch = h - 2 * cb, cw = w - 2 * cb;
        int blockRows = ch > 0 ? ch / bs : 0, blockCols = cw > 0 ? cw / bs : 0;
        int hh = blockRows * bs, ww = blockCols * bs;
        var img = new double[hh * ww];
        for (int r = 0; r < hh; r++) Array.Copy(y255, (r + cb) * w + cb, img, r * ww, ww);

        var norm1 = Mscn(img, hh, ww);
        var feat1 = BlockFeatures(norm1, hh, ww, bs, blockRows, blockCols);

        // PORT-QUIRK(pyiqa, niqe_arch.py): imresize(img / 255., 0.5) * 255. — the resize itself runs in float32.
        var small32 = new float[img.Length];
        for (int i = 0; i < img.Length; i++) small32[i] = (float)(img[i] / 255.0);
        var half32 = MatlabResize.PyiqaFloat32(small32, hh, ww, 0.5, out int h2, out int w2);
        var half = new double[half32.Length];
        for (int i = 0; i < half.Length; i++) half[i] = half32[i] * 255.0;

        var norm2 = Mscn(half, h2, w2);
        var feat2 = BlockFeatures(norm2, h2, w2, bs / 2, blockRows, blockCols);

        int nb = blockRows * blockCols, nf = 2 * FeaturesPerScale;
        var dist = new double[nb * nf];
        for (int b = 0; b < nb; b++)
        {
            Array.Copy(feat1, b * FeaturesPerScale, dist, b * nf, FeaturesPerScale);
            Array.Copy(feat2, b * FeaturesPerScale, dist, b * nf + FeaturesPerScale, FeaturesPerScale);
        }
        var mu = NanMean(dist, nb, nf);
        var cov = NanCov(dist, nb, nf);
        double score = Distance(_parameters._mean, _parameters._cov, mu, cov, nf);

        return new NiqeAnalysis
        {
            Y255 = y255, Height = h, Width = w, CroppedHeight = hh, CroppedWidth = ww,
            BlockRows = blockRows, BlockColumns = blockCols,
            NormalizedScale1 = norm1, HalfResY255 = half, NormalizedScale2 = norm2,
            FeaturesScale1 = feat1, FeaturesScale2 = feat2, MuDist = mu, CovDist = cov, Score = score,
        };
    }

    /// <summary>
    /// Mean-subtracted contrast-normalised coefficients (pyiqa normalize_img_with_guass): μ and E[x²] by the 7×7 window
    /// with replicate padding, σ = sqrt(|E[x²] − μ²| + eps), (x − μ) / (σ + 1).
    /// </summary>
    static double[] Mscn(double[] img, int h, int w)
    {
        const int k = MscnWindowSize, p = k / 2;
        int ph = h + 2 * p, pw = w + 2 * p;
        // imfilter(..., padding='replicate'): edge rows/columns repeated p times.
        var padded = new double[ph * pw];
        for (int r = 0; r < ph; r++)
        {
            int sr = Math.Clamp(r - p, 0, h - 1), o = r * pw;
            Array.Copy(img, sr * w, padded, o + p, w);
            padded.AsSpan(o, p).Fill(img[sr * w]);
            padded.AsSpan(o + p + w, p).Fill(img[sr * w + w - 1]);
        }
        const double eps = 2.220446049250313e-16; // torch.finfo(float64).eps in safe_sqrt
        var result = new double[h * w];
        var window = MscnWindow.Value;
        int chunks = Math.Min(Environment.ProcessorCount, Math.Max(1, h / 64));
        Parallel.For(0, chunks, t =>
        {
            int r0 = (int)((long)h * t / chunks), r1 = (int)((long)h * (t + 1) / chunks);
            WindowFilter.Mscn(padded, pw, window, k, eps, r0, r1, result);
        });
        return result;
    }

    /// <summary>compute_feature of every bs×bs block, in pyiqa's blockproc order (block columns outer, block rows inner).</summary>
    static double[] BlockFeatures(double[] norm, int h, int w, int bs, int blockRows, int blockCols)
    {
        int nb = blockRows * blockCols;
        var feats = new double[nb * FeaturesPerScale];
        Parallel.For(0, nb, b =>
        {
            // PORT-QUIRK(pyiqa, matlab_utils/functions.py): blockproc permutes the unfolded blocks to (col, row) order.
            int bx = b / blockRows, by = b % blockRows;
            var block = new double[bs * bs];
            for (int r = 0; r < bs; r++) Array.Copy(norm, (by * bs + r) * w + bx * bs, block, r * bs, bs);
            var f = feats.AsSpan(b * FeaturesPerScale, FeaturesPerScale);
            var fit = AggdFit.Fit(block);
            var product = new double[bs * bs];
            f[0] = fit.Alpha;
            f[1] = (fit.BetaLeft + fit.BetaRight) / 2;
            for (int s = 0; s < Shifts.Length; s++)
            {
                AggdFit.ShiftedProduct(block, bs, bs, Shifts[s].Y, Shifts[s].X, product);
                var pf = AggdFit.Fit(product);
                f[2 + 4 * s] = pf.Alpha;
                f[3 + 4 * s] = pf.Mean;
                f[4 + 4 * s] = pf.BetaLeft;
                f[5 + 4 * s] = pf.BetaRight;
            }
        });
        return feats;
    }

    /// <summary>pyiqa nanmean over blocks: per feature, the mean of its non-NaN values.</summary>
    static double[] NanMean(double[] x, int rows, int cols)
    {
        var mu = new double[cols];
        for (int j = 0; j < cols; j++)
        {
            double s = 0; int n = 0;
            for (int i = 0; i < rows; i++)
            {
                double v = x[i * cols + j];
                if (!double.IsNaN(v)) { s += v; n++; }
            }
            mu[j] = s / n;
        }
        return mu;
    }

    /// <summary>pyiqa nancov: rows containing a NaN are dropped, then the unbiased (N−1) covariance of the rest.</summary>
    static double[] NanCov(double[] x, int rows, int cols)
    {
        var keep = new List<int>(rows);
        for (int i = 0; i < rows; i++)
        {
            bool ok = true;
            for (int j = 0; j < cols && ok; j++) ok = !double.IsNaN(x[i * cols + j]);
            if (ok) keep.Add(i);
        }
        int n = keep.Count;
        // pyiqa divides by (n − 1) in Python ints, so it fails outright with fewer than two usable blocks.
        if (n < 2)
            throw new ArgumentException(
                $"NIQE needs at least 2 blocks with finite features to fit its covariance; this image gives {n} (of {rows} blocks). " +
                "Use a larger or less flat image.");
        var mean = new double[cols];
        for (int j = 0; j < cols; j++)
        {
            double s = 0;
            foreach (var i in keep) s += x[i * cols + j];
            mean[j] = s / n;
        }
        var centered = new double[n * cols];
        for (int t = 0; t < n; t++)
            for (int j = 0; j < cols; j++) centered[t * cols + j] = x[keep[t] * cols + j] - mean[j];
        double factor = 1.0 / (n - 1);
        var cov = new double[cols * cols];
        for (int a = 0; a < cols; a++)
            for (int b = 0; b < cols; b++)
            {
                double s = 0;
                for (int t = 0; t < n; t++) s += factor * centered[t * cols + a] * centered[t * cols + b];
                cov[a * cols + b] = s;
            }
        return cov;
    }

    /// <summary>sqrt((μp − μd) · pinv((Σp + Σd)/2) · (μp − μd)ᵀ) (NIQE paper Eq. 10), pinv with torch.linalg.pinv's cut-off.</summary>
    static double Distance(double[] muP, double[] covP, double[] muD, double[] covD, int n)
    {
        var avg = new double[n * n];
        for (int i = 0; i < avg.Length; i++) avg[i] = (covP[i] + covD[i]) / 2;
        var inv = SymmetricPseudoInverse.Compute(avg, n);
        var diff = new double[n];
        for (int i = 0; i < n; i++) diff[i] = muP[i] - muD[i];
        double q = 0;
        for (int j = 0; j < n; j++)
        {
            double t = 0;
            for (int i = 0; i < n; i++) t += diff[i] * inv[i * n + j];
            q += t * diff[j];
        }
        return Math.Sqrt(q);
    }

    public void Dispose() { }
}
