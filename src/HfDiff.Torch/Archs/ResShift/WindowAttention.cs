// Port of WindowAttention from zsyOAOA/ResShift models/swin_transformer.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from SwinIR / Swin Transformer, Liu et al., ICCV 2021).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// Window multi-head self-attention with a learned relative position bias. Keys: <c>relative_position_bias_table</c>
/// ((2Wh−1)(2Ww−1), heads), persistent int64 buffer <c>relative_position_index</c> (N, N), <c>qkv</c>, <c>proj</c>.
/// </summary>
public sealed class WindowAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly Parameter relative_position_bias_table;
    readonly Tensor relative_position_index;
    readonly Linear qkv;
    readonly Linear proj;
    readonly double _scale;

    public int Dim { get; }
    public int WindowSize { get; }
    public int NumHeads { get; }

    public WindowAttention(int dim, int windowSize, int numHeads, bool qkvBias = true, double? qkScale = null) : base(nameof(WindowAttention))
    {
        if (numHeads < 1 || dim % numHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(numHeads), numHeads, $"num_heads must divide dim {dim}; got {numHeads}.");
        Dim = dim; WindowSize = windowSize; NumHeads = numHeads;
        int headDim = dim / numHeads;
        _scale = qkScale ?? Math.Pow(headDim, -0.5);

        relative_position_bias_table = nn.Parameter(zeros((2 * windowSize - 1) * (2 * windowSize - 1), numHeads));
        relative_position_index = RelativePositionIndex(windowSize);
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        register_parameter("relative_position_bias_table", relative_position_bias_table);
        register_buffer("relative_position_index", relative_position_index, persistent: true);
        register_module("qkv", qkv);
        register_module("proj", proj);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    /// <summary>Pair-wise index into the bias table for tokens (i, j) of a square window (row-major), (N, N) int64.</summary>
    static Tensor RelativePositionIndex(int ws)
    {
        using var scope = NewDisposeScope();
        var coords = stack(meshgrid([arange(ws), arange(ws)], indexing: "ij")).flatten(1);   // 2, N (row-major)
        // relative (dh, dw) shifted to start at 0, then flattened as dh*(2*Ww-1) + dw.
        var dh = coords[0].unsqueeze(1) - coords[0].unsqueeze(0) + (ws - 1);
        var dw = coords[1].unsqueeze(1) - coords[1].unsqueeze(0) + (ws - 1);
        var rel = dh * (2 * ws - 1) + dw;
        return rel.to_type(ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <param name="x">(num_windows·B, N, C) tokens of each window.</param>
    /// <param name="mask">(num_windows, N, N) additive 0/−100 mask, or null.</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long b_ = x.shape[0], n = x.shape[1], c = x.shape[2];
        var qkvT = qkv.call(x).reshape(b_, n, 3, NumHeads, c / NumHeads).permute(2, 0, 3, 1, 4);
        var q = qkvT[0] * _scale;
        var k = qkvT[1];
        var v = qkvT[2];
        var attn = q.matmul(k.transpose(-2, -1));

        var bias = relative_position_bias_table.index_select(0, relative_position_index.view(-1))
                    .view(n, n, -1).permute(2, 0, 1).contiguous();   // nH, N, N
        attn = attn + bias.unsqueeze(0).to_type(attn.dtype);
        if (mask is not null)
        {
            long nW = mask.shape[0];
            attn = attn.view(b_ / nW, nW, NumHeads, n, n) + mask.unsqueeze(1).unsqueeze(0);
            attn = attn.view(-1, NumHeads, n, n);
        }
        attn = attn.softmax(-1);
        var y = attn.matmul(v).transpose(1, 2).reshape(b_, n, c);
        return proj.call(y).MoveToOuterDisposeScope();
    }
}
