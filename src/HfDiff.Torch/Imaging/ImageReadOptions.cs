namespace HfDiff.Torch.Imaging;

/// <summary>Limits and checks applied when an image is read.</summary>
public sealed record ImageReadOptions
{
    /// <summary>Images with more pixels than this are refused before decoding (default 64 MP).</summary>
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Images whose decode would need more memory than this are refused before decoding. The estimate is
    /// pixels × (bytes per pixel of the file's samples + of the decode buffer (3 for 8-bit, 6 for 16-bit RGB) + 12 for
    /// the float planes). The default, 1.25 GiB, admits any 8-bit image up to <see cref="MaxPixels"/> (64 MP RGBA:
    /// 1.19 GiB) but not 16-bit RGB(A) at 64 MP (1.5–1.6 GiB).
    /// </summary>
    public long MaxDecodedBytes { get; init; } = 1280L * 1024 * 1024;

    /// <summary>Rotate/flip by the EXIF orientation tag, as viewers (and PIL's exif_transpose users) show the image.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>
    /// Decode files whose data stops early (a missing PNG IEND or short IDAT, a JPEG without EOI, a GIF without trailer,
    /// short BMP/TGA/PNM pixel data, a TIFF strip past the end, a WebP shorter than its RIFF size): whatever the decoder
    /// makes of the missing part (black or repeated pixels) is returned. Off by default: such files are refused with
    /// <see cref="ImageDecodeException"/>, as Pillow does unless <c>ImageFile.LOAD_TRUNCATED_IMAGES</c> is set.
    /// Structural errors (a second IHDR, palette indices past the palette, a frame outside the screen, a 12-bit JPEG…)
    /// are refused either way.
    /// </summary>
    public bool AllowTruncated { get; init; }

    public static ImageReadOptions Default { get; } = new();
}
