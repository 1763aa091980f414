// Port of CDDFuse's InvertedResidualBlock.
// Source: github.com/Zhaozixiang1228/MMIF-CDDFuse, net.py, commit fd8da1f39d8d403b7343e577bd5a30cba38c7b7b.
// Paper: Zhao et al., "CDDFuse: Correlation-Driven Dual-Branch Feature Decomposition for Multi-Modality Image Fusion", CVPR 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// MobileNetV2-style bottleneck used as the coupling function of an INN node:
/// 1×1 expand → ReLU6 → reflect pad 1 → 3×3 depthwise → ReLU6 → 1×1 project. All convolutions without bias.
/// Input/output <c>(B, inp, H, W)</c> → <c>(B, oup, H, W)</c>.
/// </summary>
public sealed class InvertedResidualBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names (state-dict keys bottleneckBlock.{0,3,5}.weight)
    readonly Sequential bottleneckBlock;
#pragma warning restore IDE1006

    public InvertedResidualBlock(long inp, long oup, double expandRatio) : base(nameof(InvertedResidualBlock))
    {
        if (inp < 1) throw new ArgumentOutOfRangeException(nameof(inp), inp, "inp must be >= 1.");
        if (oup < 1) throw new ArgumentOutOfRangeException(nameof(oup), oup, "oup must be >= 1.");
        long hidden = (long)(inp * expandRatio);
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(expandRatio), expandRatio, "inp * expandRatio must be >= 1.");
        // PORT-QUIRK(CDDFuse, net.py): despite the name there is no residual add and no BatchNorm (commented out upstream).
        bottleneckBlock = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, bias: false),
            nn.ReLU6(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(hidden, hidden, 3, groups: hidden, bias: false),
            nn.ReLU6(),
            nn.Conv2d(hidden, oup, 1, bias: false));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => bottleneckBlock.forward(x);

    protected override void Dispose(bool disposing)
    {
        if (disposing) bottleneckBlock.Dispose();
        base.Dispose(disposing);
    }
}
