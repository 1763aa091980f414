namespace HfDiff.Torch.Data.Classification;

/// <summary>
/// The standard ImageNet classification transforms (torchvision reference recipe). Defaults: train =
/// <c>RandomResizedCrop(224, scale=(0.08, 1), ratio=(3/4, 4/3))</c> + <c>RandomHorizontalFlip(0.5)</c>; eval =
/// <c>Resize(256)</c> + <c>CenterCrop(224)</c>; both end with <c>Normalize(ImageNet mean, std)</c>.
/// </summary>
public sealed record ClassificationTransformOptions
{
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Side of the square network input (224 for ImageNet; small values for tests).</summary>
    public int CropSize { get; init; } = 224;
    /// <summary>Eval: shorter side before the centre crop. Null = <c>round(CropSize · 256 / 224)</c> (256 for 224).</summary>
    public int? ResizeSize { get; init; }
    /// <summary>RandomResizedCrop area fraction range.</summary>
    public double ScaleMin { get; init; } = 0.08;
    public double ScaleMax { get; init; } = 1.0;
    /// <summary>RandomResizedCrop aspect-ratio range (w/h), sampled log-uniformly.</summary>
    public double RatioMin { get; init; } = 3.0 / 4.0;
    public double RatioMax { get; init; } = 4.0 / 3.0;
    /// <summary>Probability of a horizontal flip in training.</summary>
    public double HorizontalFlipProbability { get; init; } = 0.5;
    public ClassificationInterpolation Interpolation { get; init; } = ClassificationInterpolation.Bilinear;
    /// <summary>Subtract <see cref="Mean"/> and divide by <see cref="Std"/> (per RGB channel) after cropping.</summary>
    public bool Normalize { get; init; } = true;
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    /// <summary>The eval resize actually used.</summary>
    public int EffectiveResizeSize => ResizeSize ?? (int)Math.Round(CropSize * 256.0 / 224.0, MidpointRounding.AwayFromZero);

    /// <summary>Throws naming the first invalid option, its value and the allowed range.</summary>
    public void Validate()
    {
        if (CropSize < 1) throw new ArgumentOutOfRangeException(nameof(CropSize), CropSize, $"CropSize must be >= 1; got {CropSize}.");
        if (ResizeSize is int r && r < CropSize)
            throw new ArgumentOutOfRangeException(nameof(ResizeSize), r, $"ResizeSize must be >= CropSize ({CropSize}); got {r}.");
        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1))
            throw new ArgumentOutOfRangeException(nameof(ScaleMin), (ScaleMin, ScaleMax), $"Scale range must satisfy 0 < ScaleMin <= ScaleMax <= 1; got ({ScaleMin}, {ScaleMax}).");
        if (!(RatioMin > 0 && RatioMin <= RatioMax && double.IsFinite(RatioMax)))
            throw new ArgumentOutOfRangeException(nameof(RatioMin), (RatioMin, RatioMax), $"Ratio range must satisfy 0 < RatioMin <= RatioMax < inf; got ({RatioMin}, {RatioMax}).");
        if (!(HorizontalFlipProbability >= 0 && HorizontalFlipProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(HorizontalFlipProbability), HorizontalFlipProbability, $"HorizontalFlipProbability must be in [0, 1]; got {HorizontalFlipProbability}.");
        if (!Enum.IsDefined(Interpolation)) throw new ArgumentOutOfRangeException(nameof(Interpolation), Interpolation, "Unknown interpolation.");
        if (Mean is null || Mean.Count != 3) throw new ArgumentException($"Mean must have 3 values (R, G, B); got {Mean?.Count ?? 0}.", nameof(Mean));
        if (Std is null || Std.Count != 3 || Std.Any(s => !(s > 0)))
            throw new ArgumentException($"Std must have 3 positive values (R, G, B); got [{string.Join(", ", Std ?? [])}].", nameof(Std));
    }
}
