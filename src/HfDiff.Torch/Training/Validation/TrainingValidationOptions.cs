namespace HfDiff.Torch.Training.Validation;

/// <summary>Settings of <see cref="TrainingValidator"/> (CLI: <c>--val LR_DIR[:GT_DIR]</c>, YAML <c>val_freq</c>, <c>hfdiff.val_images</c>).</summary>
public sealed record TrainingValidationOptions
{
    /// <summary>Folder of LR images (PNG/JPEG/…), required.</summary>
    public string LrFolder { get; init; } = "";
    /// <summary>Folder of GT images paired by file-name stem (as <c>hfdiff eval</c> pairs them); null = no-reference metrics only.</summary>
    public string? GtFolder { get; init; }
    /// <summary>Validate every this many iterations (and after the last).</summary>
    public long ValFreq { get; init; } = 5000;
    /// <summary>At most this many images (sorted by name) per validation; 0 = all.</summary>
    public int MaxImages { get; init; }
    /// <summary>
    /// Metrics to try (<see cref="Metrics.MetricRegistry"/> names). PSNR/SSIM are computed on Y of YCbCr as in <c>hfdiff eval</c>;
    /// a metric whose weights or parameters are not in the model directory is skipped (listed in <see cref="TrainingValidator.Skipped"/>).
    /// </summary>
    public IReadOnlyList<string> Metrics { get; init; } = ["psnr", "ssim", "lpips", "niqe", "clipiqa", "musiq"];
    /// <summary>Model directory of the learned metrics and NIQE (null = $HFDIFF_MODELS, ~/.hfdiff/models).</summary>
    public string? ModelDirectory { get; init; }
    /// <summary>Seed of the sampler noise, the same at every validation so that rows compare.</summary>
    public long Seed { get; init; } = 12345;
    /// <summary>Images in the PNG grid (first ones by name).</summary>
    public int GridImages { get; init; } = 4;
    /// <summary>Side of the centre crop shown in the grid, in SR pixels (clipped to the image).</summary>
    public int GridCrop { get; init; } = 256;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(LrFolder)) throw new ArgumentException("LrFolder must be set.", nameof(LrFolder));
        if (!Directory.Exists(LrFolder)) throw new DirectoryNotFoundException($"Validation LR folder '{LrFolder}' does not exist.");
        if (GtFolder is not null && !Directory.Exists(GtFolder)) throw new DirectoryNotFoundException($"Validation GT folder '{GtFolder}' does not exist.");
        if (ValFreq < 1) throw new ArgumentOutOfRangeException(nameof(ValFreq), ValFreq, $"ValFreq must be >= 1; got {ValFreq}.");
        if (MaxImages < 0) throw new ArgumentOutOfRangeException(nameof(MaxImages), MaxImages, $"MaxImages must be >= 0; got {MaxImages}.");
        if (GridImages < 0) throw new ArgumentOutOfRangeException(nameof(GridImages), GridImages, $"GridImages must be >= 0; got {GridImages}.");
        if (GridCrop < 8) throw new ArgumentOutOfRangeException(nameof(GridCrop), GridCrop, $"GridCrop must be >= 8; got {GridCrop}.");
        ArgumentNullException.ThrowIfNull(Metrics, nameof(Metrics));
    }
}
