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
/// SwiGLU feed-forward (reference <c>SwiGLUFFNFused</c> without xFormers): <c>w3(silu(x1)·x2)</c> with <c>[x1, x2] = w12(x)</c>.
/// The hidden width is rounded as the reference does: <c>(int(hidden·2/3) + 7) / 8 · 8</c>.
/// </summary>
public sealed class Dinov2SwiGluFfn : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Linear w12;
    readonly Linear w3;
#pragma warning restore IDE1006

    public Dinov2SwiGluFfn(int inFeatures, int hiddenFeatures, bool bias, Device? device = null) : base("SwiGLUFFNFused")
    {
        int hidden = FusedHiddenFeatures(hiddenFeatures);
        w12 = nn.Linear(inFeatures, 2 * hidden, hasBias: bias, device: device);
        w3 = nn.Linear(hidden, inFeatures, hasBias: bias, device: device);
        RegisterComponents();
    }

    /// <summary>Hidden width actually used for a requested width (reference SwiGLUFFNFused rounding).</summary>
    public static int FusedHiddenFeatures(int hiddenFeatures) => ((int)(hiddenFeatures * 2.0 / 3.0) + 7) / 8 * 8;

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var parts = w12.forward(x).chunk(2, -1);
        return w3.forward(nn.functional.silu(parts[0]) * parts[1]).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { w12.Dispose(); w3.Dispose(); }
        base.Dispose(disposing);
    }
}
