// Port of openai/CLIP clip/model.py (ResidualAttentionBlock), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>Pre-LN transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)); LayerNorm eps 1e-5. (N, L, D).</summary>
public sealed class ClipResidualAttentionBlock : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006
    private readonly ClipMultiheadAttention attn;
    private readonly LayerNorm ln_1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm ln_2;
#pragma warning restore IDE1006

    public ClipResidualAttentionBlock(int width, int heads) : base(nameof(ClipResidualAttentionBlock))
    {
        attn = new ClipMultiheadAttention(width, heads);
        ln_1 = nn.LayerNorm([width], eps: 1e-5);
        mlp = new ClipMlp(width);
        ln_2 = nn.LayerNorm([width], eps: 1e-5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.forward(ln_1.forward(x), mask);
        return (h + mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}
