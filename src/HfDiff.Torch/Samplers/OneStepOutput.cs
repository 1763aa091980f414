using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>The intermediate tensors of a one-step SinSR inference ((B, C, h, w) float32, owned by the caller).</summary>
/// <param name="XT">z_T = z_y + κ√η_T ε.</param>
/// <param name="ModelInput">z_T / divisor[T−1], what the student sees.</param>
/// <param name="PredXStart">ẑ_0 = f_θ(z_T, y, T−1), the latent to decode.</param>
public sealed record OneStepOutput(Tensor XT, Tensor ModelInput, Tensor PredXStart);
