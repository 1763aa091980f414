// Port of CDDFuse's DetailFeatureExtraction (the INN high-frequency branch), plus its inverse (not in the reference).
// Source: github.com/Zhaozixiang1228/MMIF-CDDFuse, net.py, commit fd8da1f39d8d403b7343e577bd5a30cba38c7b7b.
// Paper: Zhao et al., "CDDFuse: Correlation-Driven Dual-Branch Feature Decomposition for Multi-Modality Image Fusion", CVPR 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// A stack of <see cref="DetailNode"/>s: split the input channels in halves (z1, z2), run every node, concatenate.
/// Input and output <c>(B, C, H, W)</c> with the same shape (C = <see cref="Channels"/>, 64 in the reference); any dtype.
/// State-dict keys <c>net.{i}.theta_{phi,rho,eta}.bottleneckBlock.{0,3,5}.weight</c>, <c>net.{i}.shffleconv.{weight,bias}</c>.
/// </summary>
public sealed class DetailFeatureExtraction : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly ModuleList<DetailNode> net;
#pragma warning restore IDE1006

    public int NumLayers { get; }
    public long Channels { get; }

    /// <param name="numLayers">Number of INN nodes (reference default 3; the CDDFuse fuse layer uses 1).</param>
    /// <param name="channels">Channels of the input (even); the reference hard-wires 64.</param>
    public DetailFeatureExtraction(int numLayers = 3, long channels = 64) : base(nameof(DetailFeatureExtraction))
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "numLayers must be >= 1.");
        if (channels < 2 || channels % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be an even number >= 2.");
        NumLayers = numLayers;
        Channels = channels;
        net = new ModuleList<DetailNode>(Enumerable.Range(0, numLayers).Select(_ => new DetailNode(channels)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var (z1, z2) = Split(x);
        foreach (var node in net) (z1, z2) = node.forward(z1, z2);
        return torch.cat([z1, z2], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the stack and returns, per node i, the shuffle-conv output and (z1, z2) after the node, plus the final output.
    /// All returned tensors belong to the caller.
    /// </summary>
    public DetailFeatureTrace ForwardWithIntermediates(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var (z1, z2) = Split(x);
        var nodes = new List<DetailNodeTrace>(NumLayers);
        foreach (var node in net)
        {
            var shuffle = node.Shuffle(z1, z2);
            (z1, z2) = node.forward(z1, z2);
            nodes.Add(new DetailNodeTrace(shuffle.MoveToOuterDisposeScope(), z1.MoveToOuterDisposeScope(), z2.MoveToOuterDisposeScope()));
        }
        var output = torch.cat([z1, z2], 1).MoveToOuterDisposeScope();
        return new DetailFeatureTrace(nodes, output);
    }

    /// <summary>
    /// Exact inverse: nodes in reverse order, each inverted by <see cref="DetailNode.Inverse"/>. <c>Inverse(forward(x)) ≈ x</c>
    /// up to float rounding (≈1e-6 abs in float32 for well-conditioned shuffle matrices).
    /// </summary>
    public Tensor Inverse(Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        var (z1, z2) = Split(y);
        for (int i = NumLayers - 1; i >= 0; i--) (z1, z2) = net[i].Inverse(z1, z2);
        return torch.cat([z1, z2], 1).MoveToOuterDisposeScope();
    }

    (Tensor, Tensor) Split(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Channels)
            throw new ArgumentException($"{nameof(DetailFeatureExtraction)} expects (B, {Channels}, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
        int half = (int)(Channels / 2);
        return (x[.., ..half], x[.., half..]);
    }

    /// <summary>Number of nodes in a state dict with keys <c>net.{i}.…</c> (after any prefix was removed).</summary>
    public static int CountLayers(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        int max = -1;
        foreach (var key in stateDict.Keys)
        {
            if (!key.StartsWith("net.", StringComparison.Ordinal)) continue;
            var rest = key.AsSpan(4);
            int dot = rest.IndexOf('.');
            if (dot > 0 && int.TryParse(rest[..dot], out int i)) max = Math.Max(max, i);
        }
        return max + 1;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) net.Dispose();
        base.Dispose(disposing);
    }
}
