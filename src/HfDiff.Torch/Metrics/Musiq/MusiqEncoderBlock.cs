// Port of TransformerBlock from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>Pre-LayerNorm transformer block (LN eps 1e-6): x + Attn(LN(x)), then x + MLP(LN(x)) with exact GELU.</summary>
public sealed class MusiqEncoderBlock : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly LayerNorm norm1, norm2;
    readonly MusiqAttention attention;
    readonly MusiqMlp mlp;
#pragma warning restore IDE1006

    public MusiqEncoderBlock(int dim, int mlpDim, int heads) : base("TransformerBlock")
    {
        norm1 = nn.LayerNorm(dim, 1e-6);
        attention = new MusiqAttention(dim, heads);
        norm2 = nn.LayerNorm(dim, 1e-6);
        mlp = new MusiqMlp(dim, mlpDim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        x = x + attention.forward(norm1.forward(x), mask);
        x = x + mlp.forward(norm2.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}
