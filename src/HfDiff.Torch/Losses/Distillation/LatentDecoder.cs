using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// The first-stage decoder as a loss sees it: a latent on the diffusion's scale (as <see cref="SinSrDistillationResult.PredZStart"/>)
/// → (B, 3, H, W) image ≈ [−1, 1], with gradients to the latent (e.g. <c>z => vq.Decode(z / scale_factor)</c>). The caller owns the result.
/// </summary>
public delegate Tensor LatentDecoder(Tensor latent);
