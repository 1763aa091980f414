// Port of the DINOv2 ViT building blocks.
// Source: github.com/facebookresearch/dinov2, dinov2/layers/*.py and dinov2/models/vision_transformer.py,
// commit b48308a394a04ccb9c4dd3a1f0a4daa1ce0579b8 (HEAD b8931f7 differs only by using F.scaled_dot_product_attention).
// Paper: Oquab et al., "DINOv2: Learning Robust Visual Features without Supervision", TMLR 2024;
// registers: Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Pre-norm transformer block (reference <c>Block</c>/<c>NestedTensorBlock</c> in eval mode, no drop path):
/// <c>x += ls1(attn(norm1(x)))</c>, then <c>x += ls2(mlp(norm2(x)))</c>. <c>(B, N, D)</c> → <c>(B, N, D)</c>.
/// </summary>
public sealed class Dinov2Block : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names (state-dict order: norm1, attn, ls1, norm2, mlp, ls2)
    readonly LayerNorm norm1;
    readonly Dinov2Attention attn;
    readonly nn.Module<Tensor, Tensor> ls1;
    readonly LayerNorm norm2;
    readonly nn.Module<Tensor, Tensor> mlp;
    readonly nn.Module<Tensor, Tensor> ls2;
#pragma warning restore IDE1006

    public Dinov2Block(DinoVisionTransformerOptions o, Device? device = null) : base("Block")
    {
        int dim = o.EmbedDim;
        int hidden = (int)(dim * o.MlpRatio);
        norm1 = nn.LayerNorm(dim, o.LayerNormEps, device: device);
        attn = new Dinov2Attention(dim, o.NumHeads, o.QkvBias, o.ProjBias, device);
        ls1 = LayerScaleOrIdentity(dim, o.InitValues, device);
        norm2 = nn.LayerNorm(dim, o.LayerNormEps, device: device);
        mlp = o.FfnLayer switch
        {
            Dinov2FfnLayer.Mlp => new Dinov2Mlp(dim, hidden, o.FfnBias, device),
            Dinov2FfnLayer.SwiGlu => new Dinov2SwiGluFfn(dim, hidden, o.FfnBias, device),
            Dinov2FfnLayer.Identity => nn.Identity(),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.FfnLayer, "Unknown FfnLayer."),
        };
        ls2 = LayerScaleOrIdentity(dim, o.InitValues, device);
        RegisterComponents();
    }

    // Reference: "init_values: None or 0 => no layerscale".
    static nn.Module<Tensor, Tensor> LayerScaleOrIdentity(int dim, double? initValues, Device? device) =>
        initValues is double v && v != 0 ? new Dinov2LayerScale(dim, v, device) : nn.Identity();

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + ls1.forward(attn.forward(norm1.forward(x)));
        h = h + ls2.forward(mlp.forward(norm2.forward(h)));
        return h.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { norm1.Dispose(); attn.Dispose(); ls1.Dispose(); norm2.Dispose(); mlp.Dispose(); ls2.Dispose(); }
        base.Dispose(disposing);
    }
}
