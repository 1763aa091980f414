using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// Supplies the standard-normal tensors the reference draws with <c>th.randn_like</c>, one call per draw and in the
/// reference's order (ResShift: 1 prior + T step noises, the t = 0 one masked; SinSR one-step: 2, the second unused;
/// DDIM: 1 prior). Implement it to replay stored noise or to use another RNG.
/// </summary>
public interface INoiseSource
{
    /// <summary>A new float32 tensor with <paramref name="like"/>'s shape and device, entries ~ N(0, 1). The caller owns it.</summary>
    Tensor RandnLike(Tensor like);
}
