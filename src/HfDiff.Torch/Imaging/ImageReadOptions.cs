namespace HfDiff.Torch.Imaging;

/// <summary>Limits applied before an image is decoded.</summary>
public sealed record ImageReadOptions
{
    /// <summary>Images with more pixels than this are refused before decoding (default 64 MP).</summary>
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>Rotate/flip by the EXIF orientation tag, as viewers (and PIL's exif_transpose users) show the image.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    public static ImageReadOptions Default { get; } = new();
}
