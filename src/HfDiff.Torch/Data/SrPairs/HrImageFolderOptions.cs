using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>How <see cref="HrImageFolder"/> lists and reads a folder of HR (ground-truth) images.</summary>
public sealed record HrImageFolderOptions
{
    /// <summary>
    /// Also list images in subfolders (default true, like ResShift's <c>Path(dir).glob('**/*.ext')</c>); false lists
    /// only the folder itself.
    /// </summary>
    public bool Recursive { get; init; } = true;

    /// <summary>File extensions listed (case-insensitive, without the dot): PNG, JPEG, BMP, TIFF, WebP.</summary>
    public IReadOnlyList<string> Extensions { get; init; } = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"];

    /// <summary>Decoder limits (pixel limit, EXIF orientation).</summary>
    public ImageReadOptions ReadOptions { get; init; } = ImageReadOptions.Default;

    internal void Validate()
    {
        if (Extensions is null || Extensions.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(Extensions), "Extensions must list at least one file extension; got none.");
        foreach (var e in Extensions)
            if (string.IsNullOrWhiteSpace(e) || e.Contains('/') || e.Contains('\\') || e.Contains('*'))
                throw new ArgumentOutOfRangeException(nameof(Extensions), $"Extensions must be plain extensions such as \"png\"; got \"{e}\".");
        ArgumentNullException.ThrowIfNull(ReadOptions, nameof(ReadOptions));
    }
}
