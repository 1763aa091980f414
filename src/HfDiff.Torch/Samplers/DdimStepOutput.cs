using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>Result of one deterministic step t → t−1 ((B, C, h, w) float32, owned by the caller).</summary>
/// <param name="PrevSample">x_{t−1} = k_t · x̂_0 + m_t · x_t + j_t · y.</param>
/// <param name="PredXStart">x̂_0 after the optional clamp.</param>
public sealed record DdimStepOutput(Tensor PrevSample, Tensor PredXStart);
