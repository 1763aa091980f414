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

    /// <summary>Score-matrix elements computed at once (64 MiB of float32); rows are independent, so chunking over queries is exact.</summary>
    const long MaxScoreElements = 1L << 24;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hn = norm.call(x);
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], n = h * w;
        var qT = PaddedOutputConv.Call(q, hn).reshape(b, c, n).permute(0, 2, 1);   // b, hw, c
        var kM = PaddedOutputConv.Call(k, hn).reshape(b, c, n);                    // b, c, hw
        var vT = PaddedOutputConv.Call(v, hn).reshape(b, c, n).permute(0, 2, 1);   // b, hw, c
        Tensor att;
        if (!is_grad_enabled())
        {
            // Inference: libtorch's fused CPU/CUDA attention never materialises the (HW x HW) score matrix (memory linear
            // in HW) and is faster than the chunked loop below; same math, softmax accumulated online (float rounding only).
            // The fused kernel needs a unit stride on the channel axis, else libtorch falls back to the materialising path.
            att = nn.functional.scaled_dot_product_attention(qT.contiguous().unsqueeze(1), kM.transpose(1, 2).contiguous().unsqueeze(1),
                vT.contiguous().unsqueeze(1), null, 0.0, false).squeeze(1);   // b, hw, c (default scale 1/sqrt(c))
        }
        else
        {
            // Training keeps the reference op order (bmm, scale, softmax, bmm) so gradients match it. The reference
            // materialises the full softmax(q k^T / sqrt(C)); a 128x128 latent would need 1 GiB per matrix, so the query
            // rows are processed in chunks (rows are independent, so chunking is exact).
            double scale = Math.Pow(c, -0.5);
            long chunk = Math.Max(1, Math.Min(n, MaxScoreElements / n));
            var parts = new List<Tensor>();
            for (long r0 = 0; r0 < n; r0 += chunk)
            {
                using var inner = NewDisposeScope();
                var qc = qT.narrow(1, r0, Math.Min(chunk, n - r0));
                var scores = qc.bmm(kM).mul_(scale);                     // in place: same values, one score buffer less
                var wts = scores.softmax(2);                             // b, rows, hw
                scores.Dispose();
                parts.Add(wts.bmm(vT).MoveToOuterDisposeScope());        // b, rows, c
            }
            att = parts.Count == 1 ? parts[0] : cat(parts, 1);
        }
        var hOut = att.permute(0, 2, 1).reshape(b, c, h, w);
        return (x + PaddedOutputConv.Call(proj_out, hOut)).MoveToOuterDisposeScope();
    }
}
