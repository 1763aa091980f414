namespace HfDiff.Torch.Assets;

/// <summary>A pretrained file is not in the model directory; the message says which, where we looked and where to get it.</summary>
public sealed class ModelAssetMissingException(string message) : FileNotFoundException(message);
