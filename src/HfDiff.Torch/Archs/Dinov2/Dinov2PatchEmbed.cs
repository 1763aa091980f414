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
/// Patch embedding (reference <c>PatchEmbed</c>): a patch×patch convolution with stride patch, flattened row-major over
/// the (H/p, W/p) grid. <c>(B, C, H, W)</c> → <c>(B, H/p·W/p, D)</c>; H and W must be multiples of the patch size.
/// </summary>
public sealed class Dinov2PatchEmbed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Conv2d proj;
#pragma warning restore IDE1006

    public int PatchSize { get; }

    public Dinov2PatchEmbed(int patchSize, int inChans, int embedDim, Device? device = null) : base("PatchEmbed")
    {
        PatchSize = patchSize;
        proj = nn.Conv2d(inChans, embedDim, patchSize, stride: patchSize, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"Patch embedding expects (B, C, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
        long h = x.shape[2], w = x.shape[3];
        if (h % PatchSize != 0) throw new ArgumentException($"Input image height {h} is not a multiple of patch height {PatchSize}.", nameof(x));
        if (w % PatchSize != 0) throw new ArgumentException($"Input image width {w} is not a multiple of patch width {PatchSize}.", nameof(x));
        using var scope = torch.NewDisposeScope();
        return proj.forward(x).flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) proj.Dispose();
        base.Dispose(disposing);
    }
}
