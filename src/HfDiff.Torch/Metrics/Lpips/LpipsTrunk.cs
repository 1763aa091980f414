// Port of the LPIPS trunks: richzhang/PerceptualSimilarity lpips/pretrained_networks.py (alexnet, vgg16) at
// 082bb24f84c091ea94de2867d34c4544f68e0963, which slice torchvision's alexnet()/vgg16() `features`.
// Paper: Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>
/// torchvision's AlexNet / VGG16 <c>features</c> Sequential (same indices, so the official ImageNet files load as
/// <c>features.{i}.weight/bias</c>), run in five slices whose outputs (ReLU activations) LPIPS compares.
/// As in torchvision, every ReLU is in place (it always follows a conv, never a slice output).
/// </summary>
public sealed class LpipsTrunk : nn.Module<Tensor, Tensor[]>
{
#pragma warning disable IDE1006 // PyTorch attribute name, so state-dict keys match torchvision
    readonly Sequential features;
#pragma warning restore IDE1006
    readonly nn.Module<Tensor, Tensor>[] _layers;
    readonly int[] _sliceEnds;

    /// <summary>Channels of the five compared activations.</summary>
    public IReadOnlyList<int> Channels { get; }
    /// <summary>Features indices of the Conv2d layers, in order (conv ordinal k → index).</summary>
    public IReadOnlyList<int> ConvIndices { get; }

    LpipsTrunk(string name, nn.Module<Tensor, Tensor>[] layers, int[] sliceEnds, int[] channels) : base(name)
    {
        _layers = layers;
        _sliceEnds = sliceEnds;
        Channels = channels;
        ConvIndices = Enumerable.Range(0, layers.Length).Where(i => layers[i] is Conv2d).ToArray();
        features = nn.Sequential(layers.Select((m, i) => ($"{i}", (nn.Module<Tensor, Tensor>)m)).ToArray());
        RegisterComponents();
    }

    public static LpipsTrunk Create(LpipsNet net) => net switch
    {
        LpipsNet.Alex => AlexNet(),
        LpipsNet.Vgg => Vgg16(),
        _ => throw new ArgumentOutOfRangeException(nameof(net), net, "net must be Alex or Vgg."),
    };

    /// <summary>torchvision <c>alexnet().features</c>; slices [0:2],[2:5],[5:8],[8:10],[10:12] (relu1..relu5).</summary>
    public static LpipsTrunk AlexNet()
    {
        nn.Module<Tensor, Tensor>[] layers =
        [
            nn.Conv2d(3, 64, 11, stride: 4, padding: 2), Relu(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding: 2), Relu(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding: 1), Relu(),
            nn.Conv2d(384, 256, 3, padding: 1), Relu(),
            nn.Conv2d(256, 256, 3, padding: 1), Relu(), nn.MaxPool2d(3, 2),
        ];
        return new LpipsTrunk("alexnet", layers, [2, 5, 8, 10, 12], [64, 192, 384, 256, 256]);
    }

    /// <summary>torchvision <c>vgg16().features</c>; slices [0:4],[4:9],[9:16],[16:23],[23:30] (relu1_2..relu5_3).</summary>
    public static LpipsTrunk Vgg16() =>
        // pool5 (index 30) is not part of any slice.
        new("vgg16", [.. Archs.Vgg.Vgg16Features.TorchvisionLayers(inplaceRelu: true).Take(30)], [4, 9, 16, 23, 30], [64, 128, 256, 512, 512]);

    // torchvision's ReLU(inplace=True): saves one activation-sized allocation per conv (at 512x512, VGG's first block
    // writes 64 MiB per activation), with identical values; autograd is unaffected (conv backward needs its input).
    static ReLU Relu() => nn.ReLU(inplace: true);

    /// <summary>The five slice outputs for a (N,3,H,W) scaled input, in channels-last memory layout (see remarks).</summary>
    /// <remarks>
    /// The input is copied to channels-last strides (NHWC in memory, NCHW shape), which every conv, ReLU and max-pool
    /// keeps: oneDNN convolves NHWC directly, while NCHW tensors are reordered to a blocked layout and back around every
    /// conv (measured at 512x512, one thread: VGG trunk ~20% and AlexNet ~30% less CPU time; outputs within ~1e-6
    /// relative of the NCHW path, float summation order). The outputs are therefore not <c>is_contiguous()</c>; every
    /// tensor op treats them by shape, only raw-memory readers must call <c>contiguous()</c> first.
    /// Intermediate activations are disposed as soon as the next layer has consumed them, so only the five outputs stay
    /// alive in the caller's dispose scope (at 512x512 the VGG trunk otherwise keeps ~0.4 GiB per image until the
    /// caller's scope ends). Disposing a handle does not free what an autograd graph still references.
    /// </remarks>
    public override Tensor[] forward(Tensor input)
    {
        var outputs = new Tensor[_sliceEnds.Length];
        // (N,C,H,W) with NHWC strides: libtorch has no memory_format argument in TorchSharp 0.107, so permute-copy-permute.
        using var channelsLast = input.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var h = channelsLast;
        int start = 0;
        for (int s = 0; s < _sliceEnds.Length; s++)
        {
            for (int i = start; i < _sliceEnds[s]; i++)
            {
                var next = _layers[i].forward(h);
                bool kept = ReferenceEquals(h, channelsLast) || (s > 0 && ReferenceEquals(h, outputs[s - 1]));
                if (!kept && !ReferenceEquals(next, h)) h.Dispose();
                h = next;
            }
            outputs[s] = h;
            start = _sliceEnds[s];
        }
        return outputs;
    }
}
