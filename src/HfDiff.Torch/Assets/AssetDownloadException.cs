namespace HfDiff.Torch.Assets;

/// <summary>
/// A pretrained file could not be downloaded or failed its checksum; the message names the file, the URL and what
/// went wrong (HTTP status, network error, expected and actual SHA-256).
/// </summary>
public sealed class AssetDownloadException(string message, Exception? inner = null) : IOException(message, inner);
