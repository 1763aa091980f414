namespace HfDiff.Torch.Metrics;

/// <summary>pyiqa <c>ssim</c> settings; defaults are pyiqa's (<c>ssimc</c> = <see cref="TestYChannel"/> false).</summary>
public sealed record SsimOptions
{
    /// <summary>Compare the rounded Y channel (default) instead of the three rounded RGB channels.</summary>
    public bool TestYChannel { get; init; } = true;
    /// <summary>Luma used when <see cref="TestYChannel"/> is set.</summary>
    public YChannelColorSpace ColorSpace { get; init; } = YChannelColorSpace.Yiq;
    /// <summary>Pixels dropped on every side before anything else.</summary>
    public int CropBorder { get; init; }
    /// <summary>Average-pool by round(min(H,W)/256) first, as the official MATLAB code does.</summary>
    public bool Downsample { get; init; }

    internal void Validate()
    {
        if (CropBorder < 0) throw new ArgumentOutOfRangeException(nameof(CropBorder), CropBorder, "CropBorder must be >= 0.");
        if (!Enum.IsDefined(ColorSpace)) throw new ArgumentOutOfRangeException(nameof(ColorSpace), ColorSpace, "ColorSpace must be Yiq or YCbCr.");
    }
}
