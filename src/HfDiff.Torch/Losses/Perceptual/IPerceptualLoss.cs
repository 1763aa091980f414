using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>
/// A perceptual loss between a super-resolved output and its ground truth, so that a trainer can switch between the
/// HF-Diff high-frequency loss, the VGG baseline and LPIPS (<see cref="PerceptualLossKind"/>). Each implementation
/// documents its input domain (RGB range or VQ latents) and shape; <c>sr</c> carries the gradient, <c>gt</c> is a target.
/// </summary>
public interface IPerceptualLoss
{
    /// <summary>Scalar loss (0-dim tensor) of <paramref name="sr"/> against <paramref name="gt"/>; both the same shape.</summary>
    Tensor Compute(Tensor sr, Tensor gt);
}
