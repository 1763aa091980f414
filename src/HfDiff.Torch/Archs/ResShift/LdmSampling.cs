// Port of Downsample / Upsample from zsyOAOA/ResShift ldm/modules/diffusionmodules/model.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from CompVis latent-diffusion / taming-transformers).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// LDM downsampling: zero-pad right and bottom by one (torch conv cannot pad asymmetrically), then 3×3 conv stride 2,
/// padding 0 (key <c>conv</c>); or 2×2 average pooling when <c>resamp_with_conv</c> is false.
/// </summary>
public sealed class LdmDownsample : nn.Module<Tensor, Tensor>
{
    readonly Conv2d? conv;

    public LdmDownsample(long channels, bool withConv) : base("Downsample")
    {
        if (withConv) conv = nn.Conv2d(channels, channels, 3L, stride: 2L, padding: 0L);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (conv is null) return nn.functional.avg_pool2d(x, 2, 2);
        using var padded = nn.functional.pad(x, [0, 1, 0, 1], PaddingModes.Constant, 0);
        return PaddedOutputConv.Call(conv, padded);
    }
}

/// <summary>LDM upsampling: nearest ×2, then an optional 3×3 conv (key <c>conv</c>).</summary>
public sealed class LdmUpsample : nn.Module<Tensor, Tensor>
{
    readonly Conv2d? conv;

    public LdmUpsample(long channels, bool withConv) : base("Upsample")
    {
        if (withConv) conv = nn.Conv2d(channels, channels, 3, stride: 1, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var up = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        if (conv is null) return up;
        using (up) return PaddedOutputConv.Call(conv, up);
    }
}
