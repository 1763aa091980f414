// Port of PatchEmbed / PatchUnEmbed from zsyOAOA/ResShift models/swin_transformer.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>Conv patch embedding (<c>proj</c>, kernel = stride = patch size) with optional GroupNorm32 <c>norm</c>; NCHW in and out.</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    readonly Conv2d proj;
    readonly GroupNorm32? norm;

    public PatchEmbed(int inChans, int embedDim, int patchSize = 1, bool patchNorm = false) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(inChans, embedDim, patchSize, stride: patchSize);
        if (patchNorm) norm = new GroupNorm32(embedDim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (norm is null) return PaddedOutputConv.Call(proj, x);
        using var p = PaddedOutputConv.Call(proj, x);
        return norm.call(p);
    }
}

/// <summary>1×1 conv back from the embedding width (<c>proj</c>) with optional GroupNorm32 <c>norm</c>.</summary>
public sealed class PatchUnEmbed : nn.Module<Tensor, Tensor>
{
    readonly Conv2d proj;
    readonly GroupNorm32? norm;

    public PatchUnEmbed(int outChans, int embedDim, bool patchNorm = false) : base(nameof(PatchUnEmbed))
    {
        proj = nn.Conv2d(embedDim, outChans, 1);
        if (patchNorm) norm = new GroupNorm32(outChans);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (norm is null) return PaddedOutputConv.Call(proj, x);
        using var p = PaddedOutputConv.Call(proj, x);
        return norm.call(p);
    }
}
