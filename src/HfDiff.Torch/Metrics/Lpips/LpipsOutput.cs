using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>
/// LPIPS results for a batch of N pairs.
/// </summary>
/// <param name="Distance">(N) float32: the sum of <paramref name="PerLayer"/> (lower = more similar).</param>
/// <param name="PerLayer">(N, 5): spatial mean of lin_k(diff_k) per compared layer.</param>
/// <param name="Diffs">When requested: per layer (N, C_k, h_k, w_k) squared difference of the unit-normalised activations.</param>
public sealed record LpipsOutput(Tensor Distance, Tensor PerLayer, IReadOnlyList<Tensor>? Diffs) : IDisposable
{
    public void Dispose()
    {
        Distance.Dispose();
        PerLayer.Dispose();
        if (Diffs is not null) foreach (var d in Diffs) d.Dispose();
    }
}
