namespace HfDiff.Torch.Assets;

/// <summary>A parameter file exists but cannot be read; the message names the file and what is wrong with it.</summary>
public sealed class AssetFormatException(string message, Exception? inner = null) : IOException(message, inner);
