// Port of openai/CLIP clip/model.py (Transformer, CLIP.build_attention_mask), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>CLIP's text transformer: <c>resblocks.{i}</c> with a causal mask (−inf above the diagonal).</summary>
public sealed class ClipTransformer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<ClipResidualAttentionBlock> resblocks;
#pragma warning restore IDE1006

    public ClipTransformer(int width, int layers, int heads) : base(nameof(ClipTransformer))
    {
        resblocks = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new ClipResidualAttentionBlock(width, heads)).ToArray());
        RegisterComponents();
    }

    /// <summary>x: (N, L, D) → (N, L, D), causal self-attention.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long l = x.shape[1];
        // build_attention_mask: fill -inf, keep the strict upper triangle.
        var mask = full(l, l, float.NegativeInfinity, dtype: x.dtype, device: x.device).triu(1);
        var h = x;
        foreach (var block in resblocks) h = block.forward(h, mask);
        return h.MoveToOuterDisposeScope();
    }
}
