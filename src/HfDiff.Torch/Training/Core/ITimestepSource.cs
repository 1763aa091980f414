using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// Supplies the diffusion timestep indices a trainer draws with <c>torch.randint(0, T, (B,))</c>, one call per draw in
/// the reference's order. Implement it to replay stored draws.
/// </summary>
public interface ITimestepSource
{
    /// <summary>A new (<paramref name="batch"/>,) int64 tensor on <paramref name="device"/> with entries uniform in [0, <paramref name="numTimesteps"/>).</summary>
    Tensor Sample(long batch, int numTimesteps, Device device);
}
