// Port of openai/CLIP clip/model.py (ResidualAttentionBlock.mlp, QuickGELU), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>c_fc (D→4D) → QuickGELU x·σ(1.702x) → c_proj (4D→D); keys <c>mlp.c_fc.*</c>, <c>mlp.c_proj.*</c>.</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear c_fc;
    private readonly Linear c_proj;
#pragma warning restore IDE1006

    public ClipMlp(int width) : base(nameof(ClipMlp))
    {
        c_fc = nn.Linear(width, width * 4);
        c_proj = nn.Linear(width * 4, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = c_fc.forward(x);
        // PORT-QUIRK(CLIP, model.py QuickGELU): sigmoid approximation of GELU, as the weights were trained with it.
        h = h * (h * 1.702).sigmoid();
        return c_proj.forward(h).MoveToOuterDisposeScope();
    }
}
