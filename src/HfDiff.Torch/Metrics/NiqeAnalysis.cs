namespace HfDiff.Torch.Metrics;

/// <summary>
/// Every intermediate of one NIQE evaluation (pyiqa's variables in brackets). Planes are row-major float64;
/// feature matrices have one row per block, in pyiqa's block order (column of blocks by column of blocks).
/// </summary>
public sealed class NiqeAnalysis
{
    /// <summary>Rounded Y·255 of the whole input, before any crop (<c>img</c> after diff_round), Height×Width.</summary>
    public required double[] Y255 { get; init; }
    public required int Height { get; init; }
    public required int Width { get; init; }
    /// <summary>Size after CropBorder and the crop to whole blocks.</summary>
    public required int CroppedHeight { get; init; }
    public required int CroppedWidth { get; init; }
    public required int BlockRows { get; init; }
    public required int BlockColumns { get; init; }
    /// <summary>MSCN coefficients at full resolution, CroppedHeight×CroppedWidth.</summary>
    public required double[] NormalizedScale1 { get; init; }
    /// <summary>The half-resolution image ×255 (imresize(img/255, 0.5)·255), (CroppedHeight/2)×(CroppedWidth/2).</summary>
    public required double[] HalfResY255 { get; init; }
    /// <summary>MSCN coefficients of the half-resolution image.</summary>
    public required double[] NormalizedScale2 { get; init; }
    /// <summary>Block features at scale 1, blocks×18.</summary>
    public required double[] FeaturesScale1 { get; init; }
    /// <summary>Block features at scale 2, blocks×18.</summary>
    public required double[] FeaturesScale2 { get; init; }
    /// <summary>nanmean of the blocks×36 feature matrix (<c>mu_distparam</c>).</summary>
    public required double[] MuDist { get; init; }
    /// <summary>nancov of the feature matrix, 36×36 row-major (<c>cov_distparam</c>).</summary>
    public required double[] CovDist { get; init; }
    public required double Score { get; init; }

    public int BlockCount => BlockRows * BlockColumns;
}
