namespace HfDiff.Torch.Data.Classification;

/// <summary>An image the loader could not read and left out of its batch; <see cref="Reason"/> is the decoder's message.</summary>
public sealed record SkippedImage(string Path, string Reason);
