// Port of openai/CLIP clip/model.py (ModifiedResNet), commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6,
// with pyiqa's pos_embedding switch (chaofengc/IQA-PyTorch pyiqa/archs/clip_model.py).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// CLIP's image tower: 3-convolution stem (stride 2, then two stride-1) with AvgPool2d(2), four bottleneck stages
/// (strides 1, 2, 2, 2) and attention pooling. Input (N, 3, H, W) already normalised; H and W ≥ 32.
/// </summary>
public sealed class ClipModifiedResNet : nn.Module<Tensor, bool, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly ClipAttentionPool2d attnpool;
#pragma warning restore IDE1006

    public ClipModifiedResNet((int, int, int, int) layers, int outputDim, int heads, int inputResolution, int width)
        : base(nameof(ClipModifiedResNet))
    {
        conv1 = nn.Conv2d(3, width / 2, 3, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(width / 2, eps: 1e-5);
        conv2 = nn.Conv2d(width / 2, width / 2, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width / 2, eps: 1e-5);
        conv3 = nn.Conv2d(width / 2, width, 3, padding: 1, bias: false);
        bn3 = nn.BatchNorm2d(width, eps: 1e-5);

        int inplanes = width;
        Sequential MakeLayer(int planes, int blocks, int stride)
        {
            var list = new List<nn.Module<Tensor, Tensor>> { new ClipBottleneck(inplanes, planes, stride) };
            inplanes = planes * ClipBottleneck.Expansion;
            for (int i = 1; i < blocks; i++) list.Add(new ClipBottleneck(inplanes, planes));
            return nn.Sequential(list);
        }
        layer1 = MakeLayer(width, layers.Item1, 1);
        layer2 = MakeLayer(width * 2, layers.Item2, 2);
        layer3 = MakeLayer(width * 4, layers.Item3, 2);
        layer4 = MakeLayer(width * 8, layers.Item4, 2);
        attnpool = new ClipAttentionPool2d(inputResolution / 32, width * 32, heads, outputDim);
        RegisterComponents();
    }

    /// <summary>(N, 3, H, W) normalised image → (N, output_dim) image embedding.</summary>
    /// <remarks>
    /// The convolutions run in plain NCHW layout. Channels-last (NHWC strides) was faster, but libtorch 2.10's oneDNN
    /// crashes the process with SIGFPE (a division by zero in <c>brgemm_convolution_utils::brg_blocking_t::est_eff_1x1</c>)
    /// when it plans the NHWC 1×1 convolutions of this network on an AVX-512 EPYC: measured 2026-12-02 for 512² images one
    /// at a time and 32²–512² images in batches of 2–4. The ReLUs are in place, as the reference's <c>ReLU(inplace=True)</c>.
    /// </remarks>
    public override Tensor forward(Tensor x, bool posEmbedding)
    {
        using var scope = NewDisposeScope();
        var h = x.contiguous();
        h = bn1.forward(conv1.forward(h)).relu_();
        h = bn2.forward(conv2.forward(h)).relu_();
        h = bn3.forward(conv3.forward(h)).relu_();
        h = nn.functional.avg_pool2d(h, 2);
        h = layer4.forward(layer3.forward(layer2.forward(layer1.forward(h))));
        return attnpool.forward(h, posEmbedding).MoveToOuterDisposeScope();
    }
}
