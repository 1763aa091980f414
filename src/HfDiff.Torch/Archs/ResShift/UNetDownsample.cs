// Port of Downsample from zsyOAOA/ResShift models/unet.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>UNet downsampling: 3×3 conv stride 2 padding 1 (key <c>op</c>) or 2×2 average pooling (no weights).</summary>
public sealed class UNetDownsample : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> op;
    readonly long _channels;

    public UNetDownsample(long channels, bool useConv, long? outChannels = null) : base("Downsample")
    {
        _channels = channels;
        long outCh = outChannels ?? channels;
        if (!useConv && outCh != channels)
            throw new ArgumentException($"Downsample without conv keeps the channel count; got {channels} -> {outCh}.", nameof(outChannels));
        op = useConv ? nn.Conv2d(channels, outCh, 3, stride: 2, padding: 1) : nn.AvgPool2d(2, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.shape[1] != _channels) throw new ArgumentException($"Downsample expects {_channels} channels; got {x.shape[1]}.", nameof(x));
        return op is Conv2d conv ? PaddedOutputConv.Call(conv, x) : op.call(x);
    }
}
