// Port of the attention used by openai/CLIP clip/model.py (nn.MultiheadAttention in ResidualAttentionBlock,
// F.multi_head_attention_forward in AttentionPool2d), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6;
// math of torch 1.13 torch/nn/functional.py multi_head_attention_forward (eval, no dropout).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// <c>nn.MultiheadAttention(d_model, n_head)</c> with the packed input projection (<c>in_proj_weight</c>,
/// <c>in_proj_bias</c>, <c>out_proj</c>), self-attention only, batch-first (N, L, D) in and out.
/// </summary>
public sealed class ClipMultiheadAttention : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names, so state-dict keys match
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
#pragma warning restore IDE1006
    readonly int _heads;

    public ClipMultiheadAttention(int embedDim, int heads) : base(nameof(ClipMultiheadAttention))
    {
        if (heads < 1 || embedDim % heads != 0)
            throw new ArgumentOutOfRangeException(nameof(heads), $"heads must divide embedDim ({embedDim}); got {heads}.");
        _heads = heads;
        in_proj_weight = new Parameter(empty(3 * embedDim, embedDim));
        in_proj_bias = new Parameter(zeros(3 * embedDim));
        out_proj = nn.Linear(embedDim, embedDim);
        using (no_grad()) nn.init.xavier_uniform_(in_proj_weight);
        RegisterComponents();
    }

    /// <summary>x: (N, L, D); additive mask (L, L) or null → (N, L, D).</summary>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
        var o = ScaledDotProduct(qkv[0], qkv[1], qkv[2], _heads, mask);
        return out_proj.forward(o).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Multi-head softmax attention on already projected (N, L, D) q, k, v: q is divided by √head_dim before q·kᵀ,
    /// the additive mask is added, softmax over keys; heads are merged back to (N, L, D).
    /// </summary>
    internal static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, int heads, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[0], lq = q.shape[1], lk = k.shape[1], d = q.shape[2], hd = d / heads;
        var qh = q.reshape(n, lq, heads, hd).transpose(1, 2) / Math.Sqrt(hd);
        var kh = k.reshape(n, lk, heads, hd).transpose(1, 2);
        var vh = v.reshape(n, lk, heads, hd).transpose(1, 2);
        var scores = qh.matmul(kh.transpose(-2, -1));
        if (mask is not null) scores = scores + mask;
        var o = scores.softmax(-1).matmul(vh);
        return o.transpose(1, 2).reshape(n, lq, d).MoveToOuterDisposeScope();
    }
}
