using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// ∂⟨decoder(latent), upstream⟩/∂latent for a <see cref="LatentDecoder"/> (same latent scale; upstream shaped like the
/// decoded image), computed by the decoder's owner, e.g. stage by stage to bound memory
/// (<c>(z, g) => vq.DecodeInputGradient(z / scale_factor, g) / scale_factor</c>). The caller owns the result.
/// </summary>
public delegate Tensor LatentDecoderInputGradient(Tensor latent, Tensor upstream);
