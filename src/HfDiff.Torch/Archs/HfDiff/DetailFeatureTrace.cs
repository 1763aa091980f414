using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>Per-node intermediates: shuffle-conv output (B, C, H, W), then z1 and z2 (B, C/2, H, W) after the node.</summary>
public sealed record DetailNodeTrace(Tensor Shuffle, Tensor Z1, Tensor Z2) : IDisposable
{
    public void Dispose() { Shuffle.Dispose(); Z1.Dispose(); Z2.Dispose(); }
}

/// <summary>Result of <see cref="DetailFeatureExtraction.ForwardWithIntermediates"/>; dispose to free every tensor.</summary>
public sealed record DetailFeatureTrace(IReadOnlyList<DetailNodeTrace> Nodes, Tensor Output) : IDisposable
{
    public void Dispose() { foreach (var n in Nodes) n.Dispose(); Output.Dispose(); }
}
