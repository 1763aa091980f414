namespace HfDiff.Torch.Losses;

/// <summary>Which DINOv2 output <see cref="DistributionMatchingLoss"/> turns into a distribution.</summary>
public enum Dinov2EmbeddingKind
{
    /// <summary><c>x_norm_clstoken</c> <c>(B, D)</c>: the global image descriptor DINOv2 is trained and evaluated on.</summary>
    ClassToken,
    /// <summary>Mean of <c>x_norm_patchtokens</c> over the patches <c>(B, D)</c>: weights every image region equally.</summary>
    PatchTokenMean,
}
