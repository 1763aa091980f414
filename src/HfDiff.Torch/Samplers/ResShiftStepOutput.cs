using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// Result of one reverse step t → t−1 (all (B, C, h, w) float32, owned by the caller).
/// </summary>
/// <param name="PrevSample">x_{t−1} (the chain state for the next step; at t = 0 the final latent).</param>
/// <param name="PredXStart">x̂_0 = f_θ(x_t, y, t) after the optional clamp.</param>
/// <param name="Mean">Posterior mean μ_θ = η_{t−1}/η_t · x_t + α_t/η_t · x̂_0.</param>
public sealed record ResShiftStepOutput(Tensor PrevSample, Tensor PredXStart, Tensor Mean);
