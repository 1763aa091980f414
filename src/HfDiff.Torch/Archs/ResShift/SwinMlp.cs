// Port of Mlp from zsyOAOA/ResShift models/swin_transformer.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>Channel MLP on NCHW maps: 1×1 conv <c>fc1</c>, exact GELU, dropout, 1×1 conv <c>fc2</c>, dropout.</summary>
public sealed class SwinMlp : nn.Module<Tensor, Tensor>
{
    readonly Conv2d fc1;
    readonly Conv2d fc2;
    readonly double _drop;

    public SwinMlp(int inFeatures, int hiddenFeatures, double drop = 0) : base("Mlp")
    {
        fc1 = nn.Conv2d(inFeatures, hiddenFeatures, 1);
        fc2 = nn.Conv2d(hiddenFeatures, inFeatures, 1);
        _drop = drop;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.gelu(PaddedOutputConv.Call(fc1, x));
        if (_drop > 0) h = nn.functional.dropout(h, _drop, training);
        h = PaddedOutputConv.Call(fc2, h);
        if (_drop > 0) h = nn.functional.dropout(h, _drop, training);
        return h.MoveToOuterDisposeScope();
    }
}
