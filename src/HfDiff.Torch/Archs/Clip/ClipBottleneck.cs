// Port of openai/CLIP clip/model.py (Bottleneck), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// ResNet bottleneck with anti-aliased striding: all convolutions have stride 1 and an AvgPool2d(stride) follows conv2
/// (and precedes the 1×1 downsample convolution). BatchNorm eps 1e-5, eval statistics.
/// </summary>
public sealed class ClipBottleneck : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;

#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006
    readonly int _stride;

    public ClipBottleneck(int inplanes, int planes, int stride = 1) : base(nameof(ClipBottleneck))
    {
        _stride = stride;
        conv1 = nn.Conv2d(inplanes, planes, 1, bias: false);
        bn1 = nn.BatchNorm2d(planes, eps: 1e-5);
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes, eps: 1e-5);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(planes * Expansion, eps: 1e-5);
        if (stride > 1 || inplanes != planes * Expansion)
        {
            // Keys downsample.0.* / downsample.1.*; the pool is entry "-1" as in the reference's OrderedDict.
            downsample = nn.Sequential(
                ("-1", stride > 1 ? nn.AvgPool2d(stride) : nn.Identity()),
                ("0", nn.Conv2d(inplanes, planes * Expansion, 1, bias: false)),
                ("1", nn.BatchNorm2d(planes * Expansion, eps: 1e-5)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // In-place ReLUs on fresh BN outputs / the residual sum, as the reference's ReLU(inplace=True).
        var h = bn1.forward(conv1.forward(x)).relu_();
        h = bn2.forward(conv2.forward(h)).relu_();
        if (_stride > 1) h = nn.functional.avg_pool2d(h, _stride);
        h = bn3.forward(conv3.forward(h));
        var identity = downsample is null ? x : downsample.forward(x);
        return h.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}
