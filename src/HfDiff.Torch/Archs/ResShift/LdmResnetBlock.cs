// Port of ResnetBlock / Normalize from zsyOAOA/ResShift ldm/modules/diffusionmodules/model.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from CompVis latent-diffusion / taming-transformers).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// LDM autoencoder residual block without time embedding (temb_channels = 0): GroupNorm(32, eps 1e-6) → swish → conv3×3,
/// twice, plus a 1×1 <c>nin_shortcut</c> (or 3×3 <c>conv_shortcut</c>) when the width changes.
/// </summary>
public sealed class LdmResnetBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>LDM's <c>Normalize</c>: plain nn.GroupNorm(32, C, eps=1e-6) (no float32 cast, unlike GroupNorm32).</summary>
    internal static GroupNorm Normalize(long channels)
    {
        var gn = nn.GroupNorm(32, channels, eps: 1e-6, affine: true);
        // TorchSharp 0.107 leaves the affine parameters uninitialised; PyTorch starts at weight 1, bias 0.
        using (no_grad()) { gn.weight!.fill_(1); gn.bias!.zero_(); }
        return gn;
    }

    readonly GroupNorm norm1;
    readonly Conv2d conv1;
    readonly GroupNorm norm2;
    readonly Conv2d conv2;
    readonly Conv2d? nin_shortcut;
    readonly Conv2d? conv_shortcut;
    readonly double _dropout;

    public LdmResnetBlock(long inChannels, long? outChannels = null, bool convShortcut = false, double dropout = 0) : base("ResnetBlock")
    {
        long outCh = outChannels ?? inChannels;
        norm1 = Normalize(inChannels);
        conv1 = nn.Conv2d(inChannels, outCh, 3, stride: 1, padding: 1);
        norm2 = Normalize(outCh);
        conv2 = nn.Conv2d(outCh, outCh, 3, stride: 1, padding: 1);
        if (inChannels != outCh)
        {
            if (convShortcut) conv_shortcut = nn.Conv2d(inChannels, outCh, 3, stride: 1, padding: 1);
            else nin_shortcut = nn.Conv2d(inChannels, outCh, 1L, stride: 1L, padding: 0L);
        }
        _dropout = dropout;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Same ops and order as the reference; intermediates are released as soon as they are used (a dispose scope
        // would keep all six alive until the block returns, ~6 activation maps at the largest decoder level) and SiLU
        // runs in place on the fresh GroupNorm output (bitwise the same values, one buffer less).
        using var scope = NewDisposeScope();
        var h = norm1.call(x);
        h.silu_();
        var c1 = PaddedOutputConv.Call(conv1, h);
        h.Dispose();
        h = norm2.call(c1);
        c1.Dispose();
        h.silu_();
        if (_dropout > 0 && training) h = nn.functional.dropout(h, _dropout, training);
        var c2 = PaddedOutputConv.Call(conv2, h);
        h.Dispose();
        // x + h: elementwise addition commutes bitwise, so accumulating into the conv output is exact.
        if (nin_shortcut is null && conv_shortcut is null) return c2.add_(x).MoveToOuterDisposeScope();
        using var skip = PaddedOutputConv.Call(nin_shortcut ?? conv_shortcut!, x);
        return c2.add_(skip).MoveToOuterDisposeScope();
    }
}
