namespace HfDiff.Torch.Data.Classification;

/// <summary>One image file of an <see cref="ImageClassificationFolder"/> and its class index.</summary>
public readonly record struct ImageClassificationSample(string Path, int Label);
