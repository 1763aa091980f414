namespace HfDiff.Torch.Data.SrPairs;

/// <summary>An image file that could not be read and was skipped: its path and why (the decoder's reason).</summary>
public sealed record SkippedImage(string Path, string Reason);
