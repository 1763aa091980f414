// Port of the DINOv2 ViT building blocks.
// Source: github.com/facebookresearch/dinov2, dinov2/layers/*.py and dinov2/models/vision_transformer.py,
// commit b48308a394a04ccb9c4dd3a1f0a4daa1ce0579b8 (HEAD b8931f7 differs only by using F.scaled_dot_product_attention).
// Paper: Oquab et al., "DINOv2: Learning Robust Visual Features without Supervision", TMLR 2024;
// registers: Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>Transformer MLP (reference <c>Mlp</c>): fc1 → GELU (exact erf) → fc2. <c>(…, D)</c> → <c>(…, D)</c>.</summary>
public sealed class Dinov2Mlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Linear fc1;
    readonly Linear fc2;
#pragma warning restore IDE1006

    public Dinov2Mlp(int inFeatures, int hiddenFeatures, bool bias, Device? device = null) : base("Mlp")
    {
        fc1 = nn.Linear(inFeatures, hiddenFeatures, hasBias: bias, device: device);
        fc2 = nn.Linear(hiddenFeatures, inFeatures, hasBias: bias, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.forward(nn.functional.gelu(fc1.forward(x))).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { fc1.Dispose(); fc2.Dispose(); }
        base.Dispose(disposing);
    }
}
