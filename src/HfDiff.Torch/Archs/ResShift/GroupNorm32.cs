// Port of GroupNorm32 / normalization() from zsyOAOA/ResShift models/basic_ops.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd). ResShift: Yue et al., NeurIPS 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// <c>nn.GroupNorm(32, channels)</c> (eps 1e-5, affine) that normalises in float32 and casts back to the input dtype.
/// State-dict keys: <c>weight</c>, <c>bias</c>.
/// </summary>
public sealed class GroupNorm32 : nn.Module<Tensor, Tensor>
{
    public const int Groups = 32;
    public const double Eps = 1e-5;

    readonly Parameter weight;
    readonly Parameter bias;

    public GroupNorm32(long channels) : base(nameof(GroupNorm32))
    {
        if (channels % Groups != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"GroupNorm32 needs channels divisible by {Groups}; got {channels}.");
        weight = nn.Parameter(ones(channels));
        bias = nn.Parameter(zeros(channels));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x)
    {
        // float64 (our own precision references) stays float64; reduced precision normalises in float32 as the reference.
        if (x.dtype == ScalarType.Float32 || x.dtype == ScalarType.Float64) return nn.functional.group_norm(x, Groups, weight, bias, Eps);
        using var scope = NewDisposeScope();
        // The affine parameters stay float32 in the reference's fp16 UNet (convert_to_fp16 skips norms); cast them if the
        // whole module was converted.
        var w = weight.dtype == ScalarType.Float32 ? (Tensor)weight : weight.to_type(ScalarType.Float32);
        var b = bias.dtype == ScalarType.Float32 ? (Tensor)bias : bias.to_type(ScalarType.Float32);
        var y = nn.functional.group_norm(x.to_type(ScalarType.Float32), Groups, w, b, Eps).to_type(x.dtype);
        return y.MoveToOuterDisposeScope();
    }
}
