namespace HfDiff.Torch.Imaging;

/// <summary>An image file that cannot be read: missing, truncated, corrupt, not an image, or over the pixel limit.</summary>
public sealed class ImageDecodeException(string path, string reason, Exception? inner = null)
    : IOException($"Cannot read image '{path}': {reason}", inner)
{
    public string FilePath { get; } = path;
    public string Reason { get; } = reason;
}
