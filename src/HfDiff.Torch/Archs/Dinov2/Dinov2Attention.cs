// Port of the DINOv2 ViT building blocks.
// Source: github.com/facebookresearch/dinov2, dinov2/layers/*.py and dinov2/models/vision_transformer.py,
// commit b48308a394a04ccb9c4dd3a1f0a4daa1ce0579b8 (HEAD b8931f7 differs only by using F.scaled_dot_product_attention).
// Paper: Oquab et al., "DINOv2: Learning Robust Visual Features without Supervision", TMLR 2024;
// registers: Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Multi-head self-attention (reference <c>Attention</c>; <c>MemEffAttention</c> without xFormers is the same):
/// <c>softmax((q·scale) kᵀ) v</c>, scale = head_dim^-0.5, fused qkv projection. <c>(B, N, D)</c> → <c>(B, N, D)</c>.
/// </summary>
public sealed class Dinov2Attention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Linear qkv;
    readonly Linear proj;
#pragma warning restore IDE1006

    readonly int _numHeads;
    readonly double _scale;

    public Dinov2Attention(int dim, int numHeads, bool qkvBias, bool projBias, Device? device = null) : base("Attention")
    {
        _numHeads = numHeads;
        _scale = Math.Pow(dim / numHeads, -0.5);
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias, device: device);
        proj = nn.Linear(dim, dim, hasBias: projBias, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var t = qkv.forward(x).reshape(b, n, 3, _numHeads, c / _numHeads).permute(2, 0, 3, 1, 4);
        // An explicit Scalar kept alive across the native call (not the implicit temporary of t[0] * _scale): TorchSharp 0.107
        // lets a garbage collection free an implicit Scalar while libtorch reads it (docs/TORCHSHARP-SCALAR-RACE.md); this
        // line failed that way once in CI with "Unknown scalar type".
        using var scale = _scale.ToScalar();
        var q = t[0].mul(scale);
        var k = t[1];
        var v = t[2];
        // Explicit softmax attention as in the fixture's reference commit (same math as scaled_dot_product_attention).
        var attn = torch.matmul(q, k.transpose(-2, -1)).softmax(-1);
        var y = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, c);
        return proj.forward(y).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { qkv.Dispose(); proj.Dispose(); }
        base.Dispose(disposing);
    }
}
