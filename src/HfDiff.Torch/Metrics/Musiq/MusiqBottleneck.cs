// Port of Bottleneck from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>ResNet-v1 bottleneck of the MUSIQ patch stem: StdConv 1x1 → 3x3 → 1x1 with GroupNorm(32, eps 1e-4) and a projection shortcut.</summary>
public sealed class MusiqBottleneck : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly StdConv2d conv1, conv2, conv3;
    readonly GroupNorm gn1, gn2, gn3;
    readonly StdConv2d? conv_proj;
    readonly GroupNorm? gn_proj;
#pragma warning restore IDE1006
    // PORT-QUIRK(pyiqa, musiq_arch.py Bottleneck): GN eps 1e-4 here (1e-6 in the root), as the Flax original.
    const double GroupNormEps = 1e-4;

    public MusiqBottleneck(int inPlanes, int outPlanes, int stride = 1) : base("Bottleneck")
    {
        int width = inPlanes;
        conv1 = new StdConv2d(inPlanes, width, 1, 1);
        gn1 = MusiqGroupNorm.Create(32, width, GroupNormEps);
        conv2 = new StdConv2d(width, width, 3, 1);
        gn2 = MusiqGroupNorm.Create(32, width, GroupNormEps);
        conv3 = new StdConv2d(width, outPlanes, 1, 1);
        gn3 = MusiqGroupNorm.Create(32, outPlanes, GroupNormEps);
        if (inPlanes != outPlanes || stride != 1)
        {
            conv_proj = new StdConv2d(inPlanes, outPlanes, 1, stride);
            gn_proj = MusiqGroupNorm.Create(32, outPlanes, GroupNormEps);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var identity = conv_proj is null ? input : gn_proj!.forward(conv_proj.forward(input));
        // ReLUs and the residual add in place on fresh GroupNorm outputs (saves activation-sized allocations).
        var x = gn1.forward(conv1.forward(input)).relu_();
        x = gn2.forward(conv2.forward(x)).relu_();
        x = gn3.forward(conv3.forward(x));
        return x.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}
