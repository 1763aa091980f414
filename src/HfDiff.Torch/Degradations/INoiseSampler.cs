using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// The tensor-valued random draws of the noise steps (the reference's <c>torch.randn</c> and <c>torch.poisson</c>
/// calls), injectable so that stored draws can be replayed (<see cref="ReplayNoiseSampler"/>) and seeded runs are
/// reproducible (<see cref="TorchNoiseSampler"/>). Calls come in the reference's order.
/// </summary>
public interface INoiseSampler
{
    /// <summary>Standard normal samples of the given shape (<c>torch.randn(*shape, dtype, device)</c>).</summary>
    Tensor Randn(long[] shape, ScalarType dtype, Device device);

    /// <summary>Poisson counts with the given rates, same shape and dtype (<c>torch.poisson(rates)</c>).</summary>
    Tensor Poisson(Tensor rates);
}
