// Port of AddHashSpatialPositionEmbs and AddScaleEmbs from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>Learned hash-based spatial embedding: adds <c>position_emb[0, pos]</c> (grid G×G entries) to each token.</summary>
public sealed class MusiqHashPositionEmbedding : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute name
    readonly Parameter position_emb;
#pragma warning restore IDE1006

    public MusiqHashPositionEmbedding(int gridSize, int dim) : base("AddHashSpatialPositionEmbs")
    {
        position_emb = new Parameter(torch.randn(1, gridSize * gridSize, dim) * 0.02);
        RegisterComponents();
    }

    /// <param name="inputs">(B, N, C).</param><param name="positions">(B, N) float indices.</param>
    public override Tensor forward(Tensor inputs, Tensor positions)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs + position_emb.squeeze(0)[positions.to_type(ScalarType.Int64)]).MoveToOuterDisposeScope();
    }
}

/// <summary>Learned scale embedding: adds <c>scale_emb[scale_id]</c> to each token.</summary>
public sealed class MusiqScaleEmbedding : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute name
    readonly Parameter scale_emb;
#pragma warning restore IDE1006

    public MusiqScaleEmbedding(int numScales, int dim) : base("AddScaleEmbs")
    {
        scale_emb = new Parameter(torch.randn(numScales, dim) * 0.02);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputs, Tensor scales)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs + scale_emb[scales.to_type(ScalarType.Int64)]).MoveToOuterDisposeScope();
    }
}
