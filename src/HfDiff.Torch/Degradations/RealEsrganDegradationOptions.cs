// Options of xinntao/Real-ESRGAN options/train_realesrgan_x4plus.yml (commit a4abfb2979a7bbff3f69f58f58ae324608821e27)
// plus the values hard-coded in realesrgan/data/realesrgan_dataset.py and realesrgan/models/realesrgan_model.py.
namespace HfDiff.Torch.Degradations;

/// <summary>
/// Every setting of the Real-ESRGAN second-order degradation, with the official x4plus training values as defaults.
/// Property names follow the YAML keys (<c>resize_prob2</c> → <see cref="ResizeProb2"/>); ranges are
/// <c>(Min, Max)</c>; probability triples for resizing are (up, down, keep). Values hard-coded in the reference code are
/// exposed as options too, with the hard-coded value as default. Validated by <see cref="Validate"/> (called by the
/// <see cref="RealEsrganDegradation"/> constructor).
/// </summary>
public sealed record RealEsrganDegradationOptions
{
    // ------------------------------ model options (feed_data) ------------------------------
    /// <summary>Super-resolution scale: the LQ is <c>(H // Scale, W // Scale)</c>.</summary>
    public int Scale { get; init; } = 4;
    /// <summary>Pixel (L1) loss target is the USM-sharpened GT (<c>l1_gt_usm</c>).</summary>
    public bool L1GtUsm { get; init; } = true;
    /// <summary>Perceptual loss target is the USM-sharpened GT (<c>percep_gt_usm</c>).</summary>
    public bool PercepGtUsm { get; init; } = true;
    /// <summary>GAN loss target is the USM-sharpened GT (<c>gan_gt_usm</c>).</summary>
    public bool GanGtUsm { get; init; } = false;

    /// <summary>First resize: probabilities of (up, down, keep).</summary>
    public IReadOnlyList<double> ResizeProb { get; init; } = [0.2, 0.7, 0.1];
    /// <summary>First resize: up scale ~ U(1, Max), down scale ~ U(Min, 1).</summary>
    public (double Min, double Max) ResizeRange { get; init; } = (0.15, 1.5);
    /// <summary>First noise: probability of Gaussian noise (else Poisson).</summary>
    public double GaussianNoiseProb { get; init; } = 0.5;
    /// <summary>First Gaussian noise sigma range (on the 0..255 scale), drawn per sample.</summary>
    public (double Min, double Max) NoiseRange { get; init; } = (1, 30);
    /// <summary>First Poisson noise scale range, drawn per sample.</summary>
    public (double Min, double Max) PoissonScaleRange { get; init; } = (0.05, 3);
    /// <summary>First noise: per-sample probability of gray (channel-shared) noise.</summary>
    public double GrayNoiseProb { get; init; } = 0.4;
    /// <summary>First JPEG quality range, drawn per sample.</summary>
    public (double Min, double Max) JpegRange { get; init; } = (30, 95);

    /// <summary>Probability of the second blur.</summary>
    public double SecondBlurProb { get; init; } = 0.8;
    /// <summary>Second resize: probabilities of (up, down, keep).</summary>
    public IReadOnlyList<double> ResizeProb2 { get; init; } = [0.3, 0.4, 0.3];
    /// <summary>Second resize scale range (relative to the LQ size <c>H / Scale</c>).</summary>
    public (double Min, double Max) ResizeRange2 { get; init; } = (0.3, 1.2);
    /// <summary>Second noise: probability of Gaussian noise (else Poisson).</summary>
    public double GaussianNoiseProb2 { get; init; } = 0.5;
    /// <summary>Second Gaussian noise sigma range.</summary>
    public (double Min, double Max) NoiseRange2 { get; init; } = (1, 25);
    /// <summary>Second Poisson noise scale range.</summary>
    public (double Min, double Max) PoissonScaleRange2 { get; init; } = (0.05, 2.5);
    /// <summary>Second noise: per-sample probability of gray noise.</summary>
    public double GrayNoiseProb2 { get; init; } = 0.4;
    /// <summary>Second JPEG quality range.</summary>
    public (double Min, double Max) JpegRange2 { get; init; } = (30, 95);

    /// <summary>GT crop size of training (<c>gt_size</c>); not used by <see cref="RealEsrganDegradation"/> (the caller crops).</summary>
    public int GtSize { get; init; } = 256;
    /// <summary>Training-pair pool size (<c>queue_size</c>); not used by <see cref="RealEsrganDegradation"/> (no pool).</summary>
    public int QueueSize { get; init; } = 180;

    // ------------------------------ dataset options (kernel draws) ------------------------------
    /// <summary>
    /// <c>blur_kernel_size</c>. PORT-QUIRK(Real-ESRGAN, realesrgan_dataset.py): read but never used by the reference —
    /// sizes come from <see cref="KernelRange"/> and kernels are padded to 21; kept for config compatibility.
    /// </summary>
    public int BlurKernelSize { get; init; } = 21;
    /// <summary>Kernel families of the first blur.</summary>
    public IReadOnlyList<BlurKernelType> KernelList { get; init; } = DefaultKernelList;
    /// <summary>Probabilities of <see cref="KernelList"/>.</summary>
    public IReadOnlyList<double> KernelProb { get; init; } = DefaultKernelProb;
    /// <summary>Probability that the first blur kernel is a sinc kernel.</summary>
    public double SincProb { get; init; } = 0.1;
    /// <summary>Sigma range of the first blur kernel (x and y).</summary>
    public (double Min, double Max) BlurSigma { get; init; } = (0.2, 3);
    /// <summary>Beta range of generalized Gaussian kernels (first blur).</summary>
    public (double Min, double Max) BetagRange { get; init; } = (0.5, 4);
    /// <summary>Beta range of plateau kernels (first blur).</summary>
    public (double Min, double Max) BetapRange { get; init; } = (1, 2);

    /// <summary><c>blur_kernel_size2</c>; unused like <see cref="BlurKernelSize"/>.</summary>
    public int BlurKernelSize2 { get; init; } = 21;
    /// <summary>Kernel families of the second blur.</summary>
    public IReadOnlyList<BlurKernelType> KernelList2 { get; init; } = DefaultKernelList;
    /// <summary>Probabilities of <see cref="KernelList2"/>.</summary>
    public IReadOnlyList<double> KernelProb2 { get; init; } = DefaultKernelProb;
    /// <summary>Probability that the second blur kernel is a sinc kernel.</summary>
    public double SincProb2 { get; init; } = 0.1;
    /// <summary>Sigma range of the second blur kernel.</summary>
    public (double Min, double Max) BlurSigma2 { get; init; } = (0.2, 1.5);
    /// <summary>Beta range of generalized Gaussian kernels (second blur).</summary>
    public (double Min, double Max) BetagRange2 { get; init; } = (0.5, 4);
    /// <summary>Beta range of plateau kernels (second blur).</summary>
    public (double Min, double Max) BetapRange2 { get; init; } = (1, 2);
    /// <summary>Probability of a real final sinc kernel (else the pulse, i.e. no filtering).</summary>
    public double FinalSincProb { get; init; } = 0.8;

    /// <summary>Dataset horizontal flip (<c>use_hflip</c>); not used here (augmentation belongs to the dataset).</summary>
    public bool UseHflip { get; init; } = true;
    /// <summary>Dataset rotation (<c>use_rot</c>); not used here.</summary>
    public bool UseRot { get; init; } = false;
    /// <summary>Training batch size per GPU (<c>batch_size_per_gpu</c>); not used here.</summary>
    public int BatchSizePerGpu { get; init; } = 12;

    // ------------------------------ values hard-coded in the reference ------------------------------
    /// <summary>Kernel sizes drawn uniformly (hard-coded <c>[2v+1 for v in range(3, 11)]</c> = 7..21).</summary>
    public IReadOnlyList<int> KernelRange { get; init; } = [7, 9, 11, 13, 15, 17, 19, 21];
    /// <summary>Rotation range of anisotropic kernels (hard-coded [−π, π]).</summary>
    public (double Min, double Max) RotationRange { get; init; } = (-Math.PI, Math.PI);
    /// <summary>Probability of the final order [resize + sinc] then JPEG (else JPEG then [resize + sinc]); hard-coded 0.5.</summary>
    public double FinalOrderProb { get; init; } = 0.5;
    /// <summary>USM sharpening radius (hard-coded <c>USMSharp()</c> default 50 → kernel 51).</summary>
    public int UsmRadius { get; init; } = 50;
    /// <summary>USM sharpening weight (hard-coded 0.5).</summary>
    public double UsmWeight { get; init; } = 0.5;
    /// <summary>USM sharpening threshold on the 0..255 scale (hard-coded 10).</summary>
    public double UsmThreshold { get; init; } = 10;

    static readonly BlurKernelType[] DefaultKernelList =
    [
        BlurKernelType.Iso, BlurKernelType.Aniso, BlurKernelType.GeneralizedIso,
        BlurKernelType.GeneralizedAniso, BlurKernelType.PlateauIso, BlurKernelType.PlateauAniso,
    ];
    static readonly double[] DefaultKernelProb = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option, its value and the allowed range.</summary>
    public void Validate()
    {
        if (Scale < 1) Fail(nameof(Scale), Scale, ">= 1");
        Probabilities3(nameof(ResizeProb), ResizeProb);
        Probabilities3(nameof(ResizeProb2), ResizeProb2);
        ScaleRange(nameof(ResizeRange), ResizeRange);
        ScaleRange(nameof(ResizeRange2), ResizeRange2);
        foreach (var (name, p) in new[]
                 {
                     (nameof(GaussianNoiseProb), GaussianNoiseProb), (nameof(GrayNoiseProb), GrayNoiseProb),
                     (nameof(SecondBlurProb), SecondBlurProb), (nameof(GaussianNoiseProb2), GaussianNoiseProb2),
                     (nameof(GrayNoiseProb2), GrayNoiseProb2), (nameof(SincProb), SincProb), (nameof(SincProb2), SincProb2),
                     (nameof(FinalSincProb), FinalSincProb), (nameof(FinalOrderProb), FinalOrderProb),
                 })
            if (!(p >= 0 && p <= 1)) Fail(name, p, "[0, 1]");
        NonNegativeRange(nameof(NoiseRange), NoiseRange);
        NonNegativeRange(nameof(NoiseRange2), NoiseRange2);
        NonNegativeRange(nameof(PoissonScaleRange), PoissonScaleRange);
        NonNegativeRange(nameof(PoissonScaleRange2), PoissonScaleRange2);
        JpegQualityRange(nameof(JpegRange), JpegRange);
        JpegQualityRange(nameof(JpegRange2), JpegRange2);
        KernelFamilies(nameof(KernelList), KernelList, nameof(KernelProb), KernelProb);
        KernelFamilies(nameof(KernelList2), KernelList2, nameof(KernelProb2), KernelProb2);
        // The reference asserts sigma_range[0] < sigma_range[1] when drawing a kernel.
        PositiveOpenRange(nameof(BlurSigma), BlurSigma);
        PositiveOpenRange(nameof(BlurSigma2), BlurSigma2);
        PositiveOpenRange(nameof(BetagRange), BetagRange, allowEqual: true);
        PositiveOpenRange(nameof(BetagRange2), BetagRange2, allowEqual: true);
        PositiveOpenRange(nameof(BetapRange), BetapRange, allowEqual: true);
        PositiveOpenRange(nameof(BetapRange2), BetapRange2, allowEqual: true);
        if (!(RotationRange.Min < RotationRange.Max)) Fail(nameof(RotationRange), RotationRange, "Min < Max");
        if (KernelRange is null || KernelRange.Count == 0) Fail(nameof(KernelRange), "empty", "a non-empty list of odd sizes in [1, 21]");
        foreach (var k in KernelRange!)
            if (k < 1 || k > BlurKernels.PaddedSize || k % 2 == 0) Fail(nameof(KernelRange), k, "odd sizes in [1, 21]");
        if (UsmRadius < 1) Fail(nameof(UsmRadius), UsmRadius, ">= 1");
        if (!double.IsFinite(UsmWeight)) Fail(nameof(UsmWeight), UsmWeight, "a finite number");
        if (!double.IsFinite(UsmThreshold)) Fail(nameof(UsmThreshold), UsmThreshold, "a finite number");
    }

    static void Probabilities3(string name, IReadOnlyList<double>? p)
    {
        if (p is null || p.Count != 3) Fail(name, p is null ? "null" : $"{p.Count} values", "3 probabilities (up, down, keep)");
        if (p!.Any(v => !(v >= 0) || double.IsInfinity(v)) || !(p.Sum() > 0)) Fail(name, $"[{string.Join(", ", p)}]", "finite values >= 0 with a positive sum");
    }

    static void ScaleRange(string name, (double Min, double Max) r)
    {
        if (!(r.Min > 0 && r.Min <= 1 && r.Max >= 1 && double.IsFinite(r.Max))) Fail(name, r, "0 < Min <= 1 <= Max");
    }

    static void NonNegativeRange(string name, (double Min, double Max) r)
    {
        if (!(r.Min >= 0 && r.Min <= r.Max && double.IsFinite(r.Max))) Fail(name, r, "0 <= Min <= Max");
    }

    static void JpegQualityRange(string name, (double Min, double Max) r)
    {
        if (!(r.Min >= 1 && r.Min <= r.Max && r.Max <= 100)) Fail(name, r, "1 <= Min <= Max <= 100");
    }

    static void PositiveOpenRange(string name, (double Min, double Max) r, bool allowEqual = false)
    {
        bool ok = r.Min > 0 && double.IsFinite(r.Max) && (allowEqual ? r.Min <= r.Max : r.Min < r.Max);
        if (!ok) Fail(name, r, allowEqual ? "0 < Min <= Max" : "0 < Min < Max");
    }

    static void KernelFamilies(string listName, IReadOnlyList<BlurKernelType>? list, string probName, IReadOnlyList<double>? prob)
    {
        if (list is null || list.Count == 0) Fail(listName, "empty", "a non-empty list");
        if (prob is null || prob.Count != list!.Count) Fail(probName, prob is null ? "null" : $"{prob.Count} values", $"{list!.Count} probabilities (one per {listName} entry)");
        if (prob!.Any(v => !(v >= 0) || double.IsInfinity(v)) || !(prob.Sum() > 0)) Fail(probName, $"[{string.Join(", ", prob)}]", "finite values >= 0 with a positive sum");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    static void Fail(string name, object value, string allowed) =>
        throw new ArgumentOutOfRangeException(name, $"{name} must be {allowed}; got {value}.");
}
