// Port of pyiqa's AttentionPool2d (chaofengc/IQA-PyTorch pyiqa/archs/clip_model.py, commit
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8), itself openai/CLIP clip/model.py plus a pos_embedding switch.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// QKV attention pooling over the (H·W) feature tokens prepended with their mean; returns the mean token's output
/// (N, output_dim). Works at any feature size (no image resize anywhere).
/// </summary>
public sealed class ClipAttentionPool2d : nn.Module<Tensor, bool, Tensor>
{
#pragma warning disable IDE1006
    private readonly Parameter positional_embedding;
    private readonly Linear k_proj;
    private readonly Linear q_proj;
    private readonly Linear v_proj;
    private readonly Linear c_proj;
#pragma warning restore IDE1006
    readonly int _heads;

    public ClipAttentionPool2d(int spacialDim, int embedDim, int heads, int outputDim) : base(nameof(ClipAttentionPool2d))
    {
        if (heads < 1 || embedDim % heads != 0)
            throw new ArgumentOutOfRangeException(nameof(heads), $"heads must divide embedDim ({embedDim}); got {heads}.");
        _heads = heads;
        positional_embedding = new Parameter(randn(spacialDim * spacialDim + 1, embedDim) / Math.Sqrt(embedDim));
        k_proj = nn.Linear(embedDim, embedDim);
        q_proj = nn.Linear(embedDim, embedDim);
        v_proj = nn.Linear(embedDim, embedDim);
        c_proj = nn.Linear(embedDim, outputDim);
        RegisterComponents();
    }

    /// <summary>x: (N, C, H, W) → (N, output_dim).</summary>
    public override Tensor forward(Tensor x, bool posEmbedding)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1];
        var tokens = x.reshape(n, c, -1).permute(0, 2, 1);                        // (N, HW, C)
        tokens = cat([tokens.mean([1], keepdim: true), tokens], 1);               // (N, HW+1, C)
        // PORT-QUIRK(pyiqa, clip_model.py AttentionPool2d): pos_embedding=False (pyiqa's CLIPIQA default) adds no
        // positional embedding at all; True resizes the (50, C) table as a 1-channel image to (HW+1, C) with bicubic
        // (align_corners=False) — a 1-D resampling along the flattened token axis, not a 2-D grid resize.
        if (posEmbedding)
        {
            var table = positional_embedding.unsqueeze(0).unsqueeze(0);
            var resized = nn.functional.interpolate(table, [tokens.shape[1], c], mode: InterpolationMode.Bicubic, align_corners: false);
            tokens = tokens + resized.squeeze(0).squeeze(0).unsqueeze(0).to(tokens.dtype);
        }
        // Only the mean token's output is returned, and a query row's output depends on no other query: project and
        // attend with that one query (the reference computes all HW+1 rows and keeps row 0). At 512x512 input this
        // skips a (257x2048)·(2048x2048) projection and the 257-row attention, ~1/3 of the pool's work.
        var q = q_proj.forward(tokens.narrow(1, 0, 1));
        var k = k_proj.forward(tokens);
        var v = v_proj.forward(tokens);
        var o = ClipMultiheadAttention.ScaledDotProduct(q, k, v, _heads, null);
        var pooled = c_proj.forward(o.select(1, 0));
        return pooled.MoveToOuterDisposeScope();
    }
}
