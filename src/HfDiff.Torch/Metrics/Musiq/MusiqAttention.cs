// Port of MultiHeadAttention from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>Multi-head self-attention with separate query/key/value/out projections and a padding mask.</summary>
public sealed class MusiqAttention : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Linear query, key, value, @out;
#pragma warning restore IDE1006
    readonly int _heads;
    readonly double _scale;
    // PORT-QUIRK(pyiqa, musiq_arch.py MultiHeadAttention): masked logits are filled with -1e3, not -inf, so a
    // fully masked (padding) query row still gets a uniform softmax instead of NaN.
    const double MaskedLogit = -1e3;

    public MusiqAttention(int dim, int heads) : base("MultiHeadAttention")
    {
        _heads = heads;
        _scale = Math.Pow(dim / heads, -0.5);
        query = nn.Linear(dim, dim);
        key = nn.Linear(dim, dim);
        value = nn.Linear(dim, dim);
        @out = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <param name="x">(B, N, C).</param>
    /// <param name="mask">(B, N) bool: true for real tokens.</param>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        Tensor Heads(Tensor t) => t.reshape(b, n, _heads, c / _heads).permute(0, 2, 1, 3);
        var q = Heads(query.forward(x));
        var k = Heads(key.forward(x));
        var v = Heads(value.forward(x));
        var attn = q.matmul(k.transpose(-2, -1)) * _scale;
        var mask2d = mask.reshape(b, 1, n, 1).logical_and(mask.reshape(b, 1, 1, n));
        attn = attn.masked_fill(mask2d.logical_not(), MaskedLogit).softmax(-1);
        var y = attn.matmul(v).transpose(1, 2).reshape(b, n, c);
        return @out.forward(y).MoveToOuterDisposeScope();
    }
}
