// Port of Upsample from zsyOAOA/ResShift models/unet.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>UNet upsampling: nearest ×2, then an optional 3×3 conv (key <c>conv</c>).</summary>
public sealed class UNetUpsample : nn.Module<Tensor, Tensor>
{
    readonly Conv2d? conv;
    readonly long _channels;

    public UNetUpsample(long channels, bool useConv, long? outChannels = null) : base("Upsample")
    {
        _channels = channels;
        if (useConv) conv = nn.Conv2d(channels, outChannels ?? channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.shape[1] != _channels) throw new ArgumentException($"Upsample expects {_channels} channels; got {x.shape[1]}.", nameof(x));
        if (conv is null) return nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        using var up = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return PaddedOutputConv.Call(conv, up);
    }
}
