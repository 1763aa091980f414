// Port of NetLinLayer from richzhang/PerceptualSimilarity lpips/lpips.py at 082bb24f84c091ea94de2867d34c4544f68e0963.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>
/// LPIPS's learned per-channel weighting: Dropout then a 1x1 conv to one channel without bias, so the official
/// weights load as <c>model.1.weight</c> (1,C,1,1). Dropout is inert in eval mode.
/// </summary>
public sealed class LpipsLinearLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute name
    readonly Sequential model;
#pragma warning restore IDE1006

    public LpipsLinearLayer(int channels) : base("NetLinLayer")
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be >= 1.");
        model = nn.Sequential(("0", nn.Dropout()), ("1", nn.Conv2d(channels, 1, 1, bias: false)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => model.forward(input);
}
