namespace HfDiff.MLNet;

/// <summary>
/// The metric names the scorers take (<see cref="ImageQuality.ImageQualityScorerOptions.Metric"/>,
/// <see cref="SuperResolution.SuperResolutionEvaluationOptions.Metrics"/>, <see cref="SuperResolution.SuperResolutionComparison.RankBy"/>):
/// pyiqa's names, as constants. The string properties take the same values.
/// </summary>
public static class Metrics
{
    /// <summary>PSNR on RGB (full reference, higher is better).</summary>
    public const string Psnr = "psnr";
    /// <summary>PSNR on the Y channel (pyiqa's <c>psnry</c>).</summary>
    public const string PsnrY = "psnry";
    /// <summary>SSIM on the Y channel (pyiqa's default).</summary>
    public const string Ssim = "ssim";
    /// <summary>SSIM on RGB (pyiqa's <c>ssimc</c>).</summary>
    public const string SsimC = "ssimc";
    /// <summary>NIQE (no reference, lower is better).</summary>
    public const string Niqe = "niqe";
    /// <summary>LPIPS with AlexNet (full reference, lower is better).</summary>
    public const string Lpips = "lpips";
    /// <summary>LPIPS with VGG16.</summary>
    public const string LpipsVgg = "lpips-vgg";
    /// <summary>MUSIQ, KonIQ-10k head (no reference, higher is better).</summary>
    public const string Musiq = "musiq";
    /// <summary>CLIP-IQA (no reference, higher is better).</summary>
    public const string ClipIqa = "clipiqa";
    /// <summary>CLIP-IQA+ (learned prompts).</summary>
    public const string ClipIqaPlus = "clipiqa+";

    /// <summary>Every name above.</summary>
    public static IReadOnlyList<string> All { get; } = [Psnr, PsnrY, Ssim, SsimC, Niqe, Lpips, LpipsVgg, Musiq, ClipIqa, ClipIqaPlus];
}
