namespace HfDiff.Torch.Metrics;

/// <summary>Which pristine model pyiqa's NIQE uses; only <see cref="Original"/> (MATLAB niqe_release parameters) is ported.</summary>
public enum NiqeVersion { Original }

/// <summary>pyiqa <c>niqe</c> settings; defaults are pyiqa's.</summary>
public sealed record NiqeOptions
{
    /// <summary>
    /// Kept for pyiqa parity. PORT-QUIRK(pyiqa, niqe_arch.py): calculate_niqe ignores test_y_channel — a 3-channel input is
    /// always reduced to its Y channel — so this flag has no effect, exactly as in pyiqa.
    /// </summary>
    public bool TestYChannel { get; init; } = true;
    /// <summary>Luma of 3-channel inputs.</summary>
    public YChannelColorSpace ColorSpace { get; init; } = YChannelColorSpace.Yiq;
    /// <summary>Pixels dropped on every side (after the Y conversion).</summary>
    public int CropBorder { get; init; }
    /// <summary>pyiqa <c>version</c>: which pristine parameters the model directory must provide.</summary>
    public NiqeVersion Version { get; init; } = NiqeVersion.Original;
    /// <summary>Block size at full resolution (half of it at the second scale); the official value is 96.</summary>
    public int BlockSize { get; init; } = 96;

    internal void Validate()
    {
        if (CropBorder < 0) throw new ArgumentOutOfRangeException(nameof(CropBorder), CropBorder, "CropBorder must be >= 0.");
        if (!Enum.IsDefined(ColorSpace)) throw new ArgumentOutOfRangeException(nameof(ColorSpace), ColorSpace, "ColorSpace must be Yiq or YCbCr.");
        if (!Enum.IsDefined(Version)) throw new ArgumentOutOfRangeException(nameof(Version), Version, "Version must be Original.");
        if (BlockSize < 4 || BlockSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "BlockSize must be an even number >= 4.");
    }
}
