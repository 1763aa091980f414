namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>Value range of the images given to <see cref="Dinov2ImagePreprocessor"/>.</summary>
public enum ImageValueRange
{
    /// <summary>[0, 1] (e.g. <c>ImageIO.ReadTensor</c>).</summary>
    ZeroToOne,
    /// <summary>[−1, 1] (the ResShift / SinSR / HF-Diff pixel convention).</summary>
    MinusOneToOne,
}

/// <summary>How <see cref="Dinov2ImagePreprocessor"/> makes the spatial size fit the patch grid.</summary>
public enum Dinov2SizeMode
{
    /// <summary>Resize (bicubic) each side to the nearest multiple of the patch size (at least one patch).</summary>
    ResizeToMultiple,
    /// <summary>Resize (bicubic) to <see cref="Dinov2PreprocessOptions.Height"/>×<see cref="Dinov2PreprocessOptions.Width"/>.</summary>
    ResizeToFixed,
    /// <summary>Centre-crop each side down to a multiple of the patch size (no resampling).</summary>
    CenterCropToMultiple,
    /// <summary>Leave the size as is; the model rejects sides that are not multiples of the patch size.</summary>
    None,
}

/// <summary>
/// Turns SR / GT image batches into DINOv2 input: optional range conversion to [0, 1], resize or crop to a multiple of
/// the patch size, then ImageNet normalisation (torchvision / DINOv2 transforms: mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225).
/// </summary>
public sealed record Dinov2PreprocessOptions
{
    public ImageValueRange InputRange { get; init; } = ImageValueRange.ZeroToOne;
    public Dinov2SizeMode SizeMode { get; init; } = Dinov2SizeMode.ResizeToMultiple;
    /// <summary>Target height for <see cref="Dinov2SizeMode.ResizeToFixed"/> (multiple of the patch size).</summary>
    public int Height { get; init; } = 224;
    /// <summary>Target width for <see cref="Dinov2SizeMode.ResizeToFixed"/> (multiple of the patch size).</summary>
    public int Width { get; init; } = 224;
    public int PatchSize { get; init; } = 14;
    /// <summary>Antialias when downscaling (as torchvision's tensor Resize with antialias=True); bicubic in all cases.</summary>
    public bool Antialias { get; init; } = true;
    public IReadOnlyList<double> Mean { get; init; } = [0.485, 0.456, 0.406];
    public IReadOnlyList<double> Std { get; init; } = [0.229, 0.224, 0.225];

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        if (PatchSize < 1) throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, "PatchSize must be >= 1.");
        if (SizeMode == Dinov2SizeMode.ResizeToFixed)
        {
            if (Height < PatchSize || Height % PatchSize != 0)
                throw new ArgumentOutOfRangeException(nameof(Height), Height, $"Height must be a positive multiple of PatchSize ({PatchSize}).");
            if (Width < PatchSize || Width % PatchSize != 0)
                throw new ArgumentOutOfRangeException(nameof(Width), Width, $"Width must be a positive multiple of PatchSize ({PatchSize}).");
        }
        if (Mean is null || Mean.Count == 0) throw new ArgumentOutOfRangeException(nameof(Mean), "Mean must have one value per channel.");
        if (Std is null || Std.Count != Mean.Count) throw new ArgumentOutOfRangeException(nameof(Std), Std?.Count, $"Std must have {Mean.Count} values (one per channel, like Mean).");
        if (Std.Any(s => !(s > 0))) throw new ArgumentOutOfRangeException(nameof(Std), "Std values must be > 0.");
    }
}
