namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>The perceptual losses a trainer can select (the paper's loss and its ablation baselines).</summary>
public enum PerceptualLossKind
{
    /// <summary>HF-Diff's INN feature MSE (<see cref="HighFrequencyPerceptualLoss"/>).</summary>
    HighFrequency,
    /// <summary>VGG16 feature distance (<see cref="VggPerceptualLoss"/>).</summary>
    Vgg,
    /// <summary>LPIPS (learned perceptual image patch similarity).</summary>
    Lpips,
}
