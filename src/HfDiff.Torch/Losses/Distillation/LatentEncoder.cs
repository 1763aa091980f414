using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// The frozen first-stage encoder (e.g. <c>VQModelTorch.Encode</c>: pre-quantization latent, or
/// <c>ILatentAutoencoder.Encode</c>): (B, 3, H, W) float32 image in [−1, 1] → (B, C, H/f, W/f) latent. The caller owns the result.
/// </summary>
public delegate Tensor LatentEncoder(Tensor image);
