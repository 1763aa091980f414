// Port of AttnBlock from zsyOAOA/ResShift ldm/modules/diffusionmodules/model.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from CompVis latent-diffusion / taming-transformers).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// Single-head spatial self-attention over all H·W positions: x + proj_out(softmax(q·kᵀ/√C)·v), 1×1 convs
/// <c>q</c>, <c>k</c>, <c>v</c>, <c>proj_out</c> after GroupNorm(32, eps 1e-6) <c>norm</c>.
/// </summary>
public sealed class LdmAttnBlock : nn.Module<Tensor, Tensor>
{
    readonly GroupNorm norm;
    readonly Conv2d q, k, v, proj_out;

    public LdmAttnBlock(long channels) : base("AttnBlock")
    {
        norm = LdmResnetBlock.Normalize(channels);
        q = nn.Conv2d(channels, channels, 1);
        k = nn.Conv2d(channels, channels, 1);
        v = nn.Conv2d(channels, channels, 1);
        proj_out = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hn = norm.call(x);
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        // (B, 1, HW, C) per projection. The reference builds the full (HW × HW) score matrix with bmm + softmax; the
        // fused scaled_dot_product_attention gives the same result (default scale 1/√C) without materialising it, so a
        // 128×128 latent does not need a 1 GiB matrix.
        Tensor Tokens(Conv2d proj) => proj.call(hn).reshape(b, 1, c, h * w).transpose(2, 3);
        var o = nn.functional.scaled_dot_product_attention(Tokens(q), Tokens(k), Tokens(v));   // B, 1, HW, C
        var hOut = o.transpose(2, 3).reshape(b, c, h, w);
        return (x + proj_out.call(hOut)).MoveToOuterDisposeScope();
    }
}
