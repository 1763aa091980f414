// torchvision VGG16 `features` (pytorch/vision, torchvision/models/vgg.py, cfgs["D"], batch_norm=False) with BasicSR's
// layer names (XPixelGroup/BasicSR, basicsr/archs/vgg_arch.py @ 2ca24be2c2f0e752c7637e61a2b2dc4e95a3c094, NAMES['vgg16']).
// Paper: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015.
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;


namespace HfDiff.Torch.Archs.Vgg;

/// <summary>
/// The convolutional part of torchvision's VGG16: 13 3×3 convolutions with ReLU and 5 2×2 max-pools, 31 layers whose
/// state-dict keys are torchvision's (<c>features.0.weight</c> [64,3,3,3] … <c>features.28.weight</c> [512,512,3,3]), so
/// <c>vgg16-397923af.pth</c> loads without remapping (its <c>classifier.*</c> keys are ignored). Input is whatever the
/// weights expect (ImageNet-normalised RGB for torchvision's).
/// </summary>
public sealed class Vgg16Features : nn.Module<Tensor, Tensor>
{
    /// <summary>BasicSR's names of the 31 layers, by index.</summary>
    public static readonly IReadOnlyList<string> LayerNames =
    [
        "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
        "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
        "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "pool3",
        "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "pool4",
        "conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "pool5",
    ];

    static readonly int[] Config = [64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1]; // -1 = max-pool

#pragma warning disable IDE1006 // torchvision attribute name
    readonly Sequential features;
#pragma warning restore IDE1006

    public Vgg16Features() : base(nameof(Vgg16Features))
    {
        features = nn.Sequential(TorchvisionLayers(inplaceRelu: false).Select((m, i) => ($"{i}", m)).ToArray());
        RegisterComponents();
    }

    /// <summary>
    /// torchvision's <c>vgg16().features</c> layers in order (index = key in <c>features.{i}</c>): the one definition of
    /// the VGG16 stack, used here and by the LPIPS trunk (which runs the first 30 with in-place ReLUs).
    /// </summary>
    public static List<nn.Module<Tensor, Tensor>> TorchvisionLayers(bool inplaceRelu)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long inChannels = 3;
        foreach (var c in Config)
        {
            if (c < 0) { layers.Add(nn.MaxPool2d(2, 2)); continue; }
            layers.Add(nn.Conv2d(inChannels, c, 3, padding: 1));
            layers.Add(nn.ReLU(inplace: inplaceRelu));
            inChannels = c;
        }
        return layers;
    }

    /// <summary>Index of a BasicSR layer name; throws listing the valid names.</summary>
    public static int IndexOf(string layerName)
    {
        for (int i = 0; i < LayerNames.Count; i++) if (LayerNames[i] == layerName) return i;
        throw new ArgumentException($"Unknown VGG16 layer '{layerName}'; valid names: {string.Join(", ", LayerNames)}.", nameof(layerName));
    }

    /// <summary>The output of the whole feature stack, <c>(B, 512, H/32, W/32)</c>.</summary>
    public override Tensor forward(Tensor x) => features.forward(x);

    /// <summary>
    /// Outputs of the named layers (BasicSR names), running the stack only as far as the deepest one. Input
    /// <c>(B, 3, H, W)</c>, already normalised as the weights expect.
    /// </summary>
    public Dictionary<string, Tensor> Extract(Tensor x, IReadOnlyCollection<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(layerNames);
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"VGG16 expects (B, 3, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
        var wanted = layerNames.ToDictionary(n => IndexOf(n), n => n);
        int last = wanted.Keys.DefaultIfEmpty(-1).Max();
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var scope = torch.NewDisposeScope();
        var h = x;
        for (int i = 0; i <= last; i++)
        {
            h = ((nn.Module<Tensor, Tensor>)features[i]).forward(h);
            if (wanted.TryGetValue(i, out var name)) outputs[name] = h;
        }
        foreach (var t in outputs.Values) t.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>
    /// Loads torchvision VGG16 weights (<c>vgg16-397923af.pth</c> or a re-saved zip <c>.pth</c>/<c>.safetensors</c>);
    /// only <c>features.*</c> keys are used, all of them required.
    /// </summary>
    public void LoadWeights(string path)
    {
        var sd = Checkpoint.LoadStateDict(path);
        try
        {
            var featuresOnly = sd.Where(kv => kv.Key.StartsWith("features.", StringComparison.Ordinal) || kv.Key.StartsWith("module.features.", StringComparison.Ordinal))
                                 .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (featuresOnly.Count == 0)
                throw new CheckpointFormatException($"'{path}' has no 'features.*' keys; expected torchvision VGG16 weights (e.g. vgg16-397923af.pth).");
            Checkpoint.LoadInto(this, featuresOnly, strict: true, source: $"'{path}'");
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) features.Dispose();
        base.Dispose(disposing);
    }
}
