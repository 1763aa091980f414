namespace HfDiff.Torch.Data.Classification;

/// <summary>Which ImageNet transform pipeline <see cref="ClassificationBatchLoader"/> applies.</summary>
public enum ClassificationTransformMode
{
    /// <summary>RandomResizedCrop + random horizontal flip + normalisation.</summary>
    Train,
    /// <summary>Resize (shorter side) + CenterCrop + normalisation; no randomness.</summary>
    Eval,
}
