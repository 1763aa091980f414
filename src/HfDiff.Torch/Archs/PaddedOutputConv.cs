using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs;

/// <summary>
/// Calls a <see cref="Conv2d"/> with its output channels zero-padded to a multiple of oneDNN's 16-wide channel block where
/// libtorch 2.10's CPU convolution gets a partial block wrong, then drops the padding. Measured 2026-12-02 on an AMD EPYC
/// with AVX-512 and AVX512_BF16 (and with <c>ONEDNN_MAX_CPU_ISA=AVX2</c> for the first case):
/// <list type="bullet">
/// <item>The gradient with respect to the input (oneDNN's backward-data pass) of a 3×3 convolution with, e.g., 3, 8, 12 or
/// 17 output channels is NaN whenever freed memory that held a NaN or an infinity is reused for its padded block: 0 × NaN
/// in the unused channels spreads into every real one. A trained UNet's first backward then came out all NaN about half
/// the time.</item>
/// <item>In bfloat16 on a CPU with AVX512_BF16 the forward pass of such a convolution is wrong: relative error 0.08–0.33
/// against float32 for 1, 3, 8, 17 or 24 output channels, 3e-3 (bf16 rounding) with the padding.</item>
/// </list>
/// With real zero channels there is no partial block: the result equals the plain convolution (the padded channels add
/// exact zeros) and the weight gradient flows back through the padding. The plain call is kept where neither case applies
/// (float32 without an input gradient, full blocks, grouped or non-zero-padded convolutions, other devices).
/// </summary>
public static class PaddedOutputConv
{
    /// <summary>oneDNN's channel block with AVX-512 (AVX2 uses 8, a divisor).</summary>
    public const long ChannelBlock = 16;

    public static Tensor Call(Conv2d conv, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(x);
        long oc = conv.out_channels;
        if (!NeedsPadding(conv, x)) return conv.call(x);
        using var scope = NewDisposeScope();
        long extra = ChannelBlock - oc % ChannelBlock;
        var w = nn.functional.pad(conv.weight!, [0, 0, 0, 0, 0, 0, 0, extra]);
        var b = conv.bias is null ? null : nn.functional.pad(conv.bias, [0, extra]);
        var y = nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, 1);
        return y.narrow(1, 0, oc).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One layer of a container that holds convolutions among other modules (a Sequential's children): a
    /// <see cref="Conv2d"/> through <see cref="Call"/>, any other module as it is.
    /// </summary>
    public static Tensor CallLayer(nn.Module<Tensor, Tensor> layer, Tensor x) =>
        layer is Conv2d conv ? Call(conv, x) : layer.call(x);

    /// <summary>True where <see cref="Call"/> pads: a partial channel block on the CPU, with an input gradient to come or in reduced precision.</summary>
    public static bool NeedsPadding(Conv2d conv, Tensor x)
    {
        if (conv.out_channels % ChannelBlock == 0 || x.device_type != DeviceType.CPU) return false;
        if (conv.groups != 1 || conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null || conv.padding is null || conv.weight is null) return false;
        bool reduced = x.dtype is ScalarType.BFloat16 or ScalarType.Float16;
        bool inputGradient = is_grad_enabled() && x.requires_grad;
        return reduced || inputGradient;
    }
}
