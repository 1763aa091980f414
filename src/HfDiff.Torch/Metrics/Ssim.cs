// Port of pyiqa's SSIM (chaofengc/IQA-PyTorch, pyiqa/archs/ssim_arch.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8;
// after IQA-optimization / the official MATLAB ssim.m). Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment:
// from error visibility to structural similarity", IEEE TIP 2004.
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// SSIM with pyiqa semantics: the image (or its Y channel) scaled to [0,255] and rounded, float64, an 11×11 Gaussian
/// window (σ 1.5) applied 'valid', data range 255, negative contrast-structure terms clamped to 0, mean over the map.
/// </summary>
public sealed class Ssim : IImageQualityMetric
{
    const int WindowSize = 11;
    const double WindowSigma = 1.5;
    const double DataRange = 255;
    static readonly Lazy<double[]> Window = new(() => GaussianWindow.Create(WindowSize, WindowSigma));

    readonly SsimOptions _options;

    public Ssim(SsimOptions? options = null)
    {
        _options = options ?? new SsimOptions();
        _options.Validate();
    }

    public SsimOptions Options => _options;
    public string Name => _options.TestYChannel ? "ssim" : "ssimc";
    public MetricMode Mode => MetricMode.FullReference;
    public bool LowerIsBetter => false;

    /// <summary>
    /// The 11×11 window is applied 'valid', so H and W must be at least 11 after the crop (downsampling by
    /// round(min(H,W)/256) ≥ 2 only happens from 384 pixels on, which stays ≥ 11).
    /// </summary>
    public string? SizeProblem(long height, long width) => SizeProblem(Name, height, width, _options);

    static string? SizeProblem(string name, long height, long width, SsimOptions options)
    {
        int min = WindowSize + 2 * options.CropBorder;
        return MetricSize.AtLeast(name, height, width, min, min,
            $"its {WindowSize}×{WindowSize} Gaussian window" + (options.CropBorder > 0 ? $" after crop_border {options.CropBorder} on each side" : ""));
    }

    public double Score(Tensor distorted, Tensor? reference = null)
    {
        if (distorted is not null) MetricSize.Require(this, distorted);
        return Compute(distorted!, reference!, _options);
    }

    /// <summary>SSIM of <paramref name="distorted"/> against <paramref name="reference"/>, both (1,3,H,W) float32 in [0,1].</summary>
    public static double Compute(Tensor distorted, Tensor reference, SsimOptions? options = null)
    {
        options ??= new SsimOptions();
        options.Validate();
        MetricImage.RequireSameShape(distorted, reference);
        if (distorted.ndim == 4 && SizeProblem(options.TestYChannel ? "ssim" : "ssimc", distorted.shape[2], distorted.shape[3], options) is { } problem)
            throw new ArgumentException(problem);
        var x = MetricImage.FromTensor(distorted, nameof(distorted)).CropBorder(options.CropBorder);
        var y = MetricImage.FromTensor(reference, nameof(reference)).CropBorder(options.CropBorder);
        return Compute(x, y, options);
    }

    internal static double Compute(MetricImage x, MetricImage y, SsimOptions options)
    {
        var xs = LumaConversion.ToRounded255(x, options.TestYChannel, options.ColorSpace);
        var ys = LumaConversion.ToRounded255(y, options.TestYChannel, options.ColorSpace);
        int h = x.Height, w = x.Width;

        // pyiqa: f = max(1, round(min(H, W) / 256)) (Python round: half to even), pooling only when downsample is set.
        int f = Math.Max(1, (int)Math.Round(Math.Min(h, w) / 256.0, MidpointRounding.ToEven));
        if (f > 1 && options.Downsample)
        {
            for (int c = 0; c < xs.Length; c++)
            {
                xs[c] = AveragePool(xs[c], h, w, f);
                ys[c] = AveragePool(ys[c], h, w, f);
            }
            h /= f; w /= f;
        }
        if (h < WindowSize || w < WindowSize)
            throw new ArgumentException($"SSIM needs images of at least {WindowSize}×{WindowSize} pixels after cropping/downsampling; got {h}×{w}.");

        const double c1 = (0.01 * DataRange) * (0.01 * DataRange);
        const double c2 = (0.03 * DataRange) * (0.03 * DataRange);
        int ho = h - WindowSize + 1, wo = w - WindowSize + 1;
        var window = Window.Value;
        double total = 0;
        for (int c = 0; c < xs.Length; c++)
        {
            var rowSums = new double[ho];
            double[] xp = xs[c], yp = ys[c];
            int chunks = Math.Min(Environment.ProcessorCount, Math.Max(1, ho / 32));
            Parallel.For(0, chunks, t =>
            {
                int r0 = (int)((long)ho * t / chunks), r1 = (int)((long)ho * (t + 1) / chunks);
                WindowFilter.SsimRowSums(xp, yp, h, w, window, WindowSize, c1, c2, r0, r1, rowSums);
            });
            foreach (var s in rowSums) total += s;
        }
        return total / ((double)xs.Length * ho * wo);
    }

    /// <summary><c>F.avg_pool2d(x, kernel_size=f)</c>: stride f, floor output size, mean of each f×f block.</summary>
    static double[] AveragePool(double[] src, int h, int w, int f)
    {
        int ho = h / f, wo = w / f;
        var dst = new double[ho * wo];
        double div = f * f;
        for (int r = 0; r < ho; r++)
            for (int c = 0; c < wo; c++)
            {
                double s = 0;
                for (int i = 0; i < f; i++)
                    for (int j = 0; j < f; j++) s += src[(r * f + i) * w + c * f + j];
                dst[r * wo + c] = s / div;
            }
        return dst;
    }

    public void Dispose() { }
}
