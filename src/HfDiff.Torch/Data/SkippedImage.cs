namespace HfDiff.Torch.Data;

/// <summary>An image file a loader could not read and left out: its path and why (the decoder's message).</summary>
public sealed record SkippedImage(string Path, string Reason);
