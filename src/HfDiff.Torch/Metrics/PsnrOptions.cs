namespace HfDiff.Torch.Metrics;

/// <summary>pyiqa <c>psnr</c> settings; defaults are pyiqa's (<c>psnry</c> = <see cref="TestYChannel"/> true).</summary>
public sealed record PsnrOptions
{
    /// <summary>Compare only the Y channel (not rounded, data range 1) instead of all three RGB channels.</summary>
    public bool TestYChannel { get; init; }
    /// <summary>Luma used when <see cref="TestYChannel"/> is set.</summary>
    public YChannelColorSpace ColorSpace { get; init; } = YChannelColorSpace.Yiq;
    /// <summary>Pixels dropped on every side before anything else.</summary>
    public int CropBorder { get; init; }

    internal void Validate()
    {
        if (CropBorder < 0) throw new ArgumentOutOfRangeException(nameof(CropBorder), CropBorder, "CropBorder must be >= 0.");
        if (!Enum.IsDefined(ColorSpace)) throw new ArgumentOutOfRangeException(nameof(ColorSpace), ColorSpace, "ColorSpace must be Yiq or YCbCr.");
    }
}
