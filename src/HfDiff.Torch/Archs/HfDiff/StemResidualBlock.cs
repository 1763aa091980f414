using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// Residual block of the HF-Diff INN stem: <c>x + conv2(relu(conv1(x)))</c>, 3×3 convolutions with padding 1,
/// so channels and spatial size are preserved. Input/output <c>(B, C, H, W)</c>.
/// </summary>
public sealed class StemResidualBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch-style attribute names
    readonly Conv2d conv1;
    readonly Conv2d conv2;
#pragma warning restore IDE1006

    public StemResidualBlock(long channels) : base(nameof(StemResidualBlock))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be >= 1.");
        conv1 = nn.Conv2d(channels, channels, 3, padding: 1);
        conv2 = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return (x + PaddedOutputConv.Call(conv2, nn.functional.relu(PaddedOutputConv.Call(conv1, x)))).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv1.Dispose(); conv2.Dispose(); }
        base.Dispose(disposing);
    }
}
