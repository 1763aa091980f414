namespace HfDiff.Torch.Data.Classification;

/// <summary>Resampling of <see cref="ClassificationTransforms"/>; both use <c>F.interpolate(..., antialias=True)</c>.</summary>
public enum ClassificationInterpolation
{
    /// <summary>torchvision's default for <c>Resize</c> and <c>RandomResizedCrop</c>.</summary>
    Bilinear,
    /// <summary>timm-style evaluation; values may overshoot [0,1] slightly (not clamped, as torchvision on float tensors).</summary>
    Bicubic,
}
