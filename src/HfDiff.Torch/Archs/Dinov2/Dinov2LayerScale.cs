// Port of the DINOv2 ViT building blocks.
// Source: github.com/facebookresearch/dinov2, dinov2/layers/*.py and dinov2/models/vision_transformer.py,
// commit b48308a394a04ccb9c4dd3a1f0a4daa1ce0579b8 (HEAD b8931f7 differs only by using F.scaled_dot_product_attention).
// Paper: Oquab et al., "DINOv2: Learning Robust Visual Features without Supervision", TMLR 2024;
// registers: Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>LayerScale (reference <c>LayerScale</c>): per-channel scaling <c>x · gamma</c>, gamma initialised to a constant.</summary>
public sealed class Dinov2LayerScale : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Parameter gamma;
#pragma warning restore IDE1006

    public Dinov2LayerScale(int dim, double initValues, Device? device = null) : base("LayerScale")
    {
        gamma = new Parameter(torch.full(dim, initValues, ScalarType.Float32, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * gamma;

    protected override void Dispose(bool disposing)
    {
        if (disposing) gamma.Dispose();
        base.Dispose(disposing);
    }
}
