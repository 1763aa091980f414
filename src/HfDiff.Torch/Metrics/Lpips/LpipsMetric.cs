// Port of LPIPS v0.1: richzhang/PerceptualSimilarity lpips/lpips.py at 082bb24f84c091ea94de2867d34c4544f68e0963,
// with pyiqa's call semantics (chaofengc/IQA-PyTorch pyiqa/archs/lpips_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8).
// Paper: Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018.
using HfDiff.Torch.Assets;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>
/// LPIPS v0.1 (linear-calibrated, <c>spatial=False</c>): full-reference, lower is better. Weights: a torchvision trunk
/// (<c>features.*</c>; extra <c>classifier.*</c> keys are ignored) plus the official linear layers
/// (<c>lin{k}.model.1.weight</c>, (1,C,1,1)), e.g. <c>alexnet-owt-7be5be79.pth</c> + <c>alex.pth</c>.
/// </summary>
public sealed class LpipsMetric : nn.Module, IImageQualityMetric
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly LpipsTrunk net;
    readonly LpipsLinearLayer lin0, lin1, lin2, lin3, lin4;
#pragma warning restore IDE1006
    readonly LpipsLinearLayer[] _lins;

    // PORT-QUIRK(LPIPS, lpips/lpips.py ScalingLayer): v0.1 maps [-1,1] inputs with these ImageNet-like constants
    // ((x - shift) / scale) before the trunk; v0.0 skipped it ("normalization bug").
    static readonly float[] Shift = [-.030f, -.088f, -.188f];
    static readonly float[] Scale = [.458f, .448f, .450f];
    const double NormalizeEps = 1e-10;

    public LpipsNet Net { get; }
    public string Name => Net == LpipsNet.Alex ? "lpips" : "lpips-vgg";
    public MetricMode Mode => MetricMode.FullReference;
    public bool LowerIsBetter => true;

    /// <summary>Smallest H and W the trunk accepts (AlexNet: two 3/2 max-pools after a stride-4 conv; VGG: four 2/2 pools).</summary>
    public int MinimumSize => Net == LpipsNet.Alex ? 31 : 16;

    public string? SizeProblem(long height, long width) =>
        MetricSize.AtLeast(Name, height, width, MinimumSize, MinimumSize,
            Net == LpipsNet.Alex ? "AlexNet's stride-4 11×11 conv and two 3/2 max-pools" : "VGG16's four 2/2 max-pools");

    /// <summary>Builds LPIPS from state dicts: the torchvision trunk (<c>features.*</c>) and the linear layers (<c>lin{k}.*</c>).</summary>
    public LpipsMetric(LpipsNet net, IReadOnlyDictionary<string, Tensor> trunkStateDict, IReadOnlyDictionary<string, Tensor> linearStateDict,
                 string trunkSource = "trunk state dict", string linearSource = "LPIPS linear-layer state dict")
        : this(net)
    {
        ArgumentNullException.ThrowIfNull(trunkStateDict);
        ArgumentNullException.ThrowIfNull(linearStateDict);
        var features = trunkStateDict.Where(kv => kv.Key.StartsWith("features.", StringComparison.Ordinal))
                                     .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Checkpoint.LoadInto(this.net, features, strict: true, trunkSource);
        for (int k = 0; k < _lins.Length; k++)
            Checkpoint.LoadInto(_lins[k], Checkpoint.SelectPrefix(linearStateDict, $"lin{k}."), strict: true, $"{linearSource} (lin{k})");
        eval();
    }

    /// <summary>Builds LPIPS from checkpoint files (zip or legacy <c>.pth</c>, or <c>.safetensors</c>).</summary>
    public static LpipsMetric FromFiles(LpipsNet net, string trunkPath, string linearPath)
    {
        var trunk = Checkpoint.LoadStateDict(trunkPath);
        try
        {
            var lin = Checkpoint.LoadStateDict(linearPath);
            try { return new LpipsMetric(net, trunk, lin, $"'{trunkPath}'", $"'{linearPath}'"); }
            finally { foreach (var t in lin.Values) t.Dispose(); }
        }
        finally { foreach (var t in trunk.Values) t.Dispose(); }
    }

    /// <summary>
    /// Builds LPIPS from the model directory: <c>alexnet-owt-7be5be79.pth</c> + <c>alex.pth</c> (Alex) or
    /// <c>vgg16-397923af.pth</c> + <c>vgg.pth</c> (Vgg), under their official names.
    /// </summary>
    public static LpipsMetric FromModelDirectory(LpipsNet net = LpipsNet.Alex, ModelDirectory? models = null)
    {
        models ??= ModelDirectory.Resolve();
        var (trunk, lin) = net switch
        {
            LpipsNet.Alex => (KnownAssets.TorchvisionAlexNet, KnownAssets.LpipsAlexLinear),
            LpipsNet.Vgg => (KnownAssets.TorchvisionVgg16, KnownAssets.LpipsVggLinear),
            _ => throw new ArgumentOutOfRangeException(nameof(net), net, "net must be Alex or Vgg."),
        };
        var paths = models.RequireAll(trunk, lin);   // both missing files named at once
        return FromFiles(net, paths[0], paths[1]);
    }

    LpipsMetric(LpipsNet net) : base("LPIPS")
    {
        Net = net;
        this.net = LpipsTrunk.Create(net);
        var ch = this.net.Channels;
        lin0 = new LpipsLinearLayer(ch[0]);
        lin1 = new LpipsLinearLayer(ch[1]);
        lin2 = new LpipsLinearLayer(ch[2]);
        lin3 = new LpipsLinearLayer(ch[3]);
        lin4 = new LpipsLinearLayer(ch[4]);
        _lins = [lin0, lin1, lin2, lin3, lin4];
        RegisterComponents();
    }

    /// <summary>
    /// The official <c>LPIPS.forward(in0, in1, retPerLayer, normalize)</c>: inputs (N,3,H,W) float32, in [-1,1]
    /// (<paramref name="normalize"/> = false, the official default) or in [0,1] (true: mapped by 2x-1, pyiqa's default).
    /// The distance is symmetric in its arguments. <paramref name="withGradients"/> keeps the autograd graph (LPIPS as a
    /// training loss); the metric path runs without.
    /// </summary>
    public LpipsOutput Forward(Tensor in0, Tensor in1, bool normalize = false, bool returnDiffs = false, bool withGradients = false)
    {
        CheckPair(in0, in1, nameof(in0), nameof(in1));
        using var scope = torch.NewDisposeScope();
        using var noGrad = withGradients ? null : torch.no_grad();
        if (normalize)
        {
            in0 = 2 * in0 - 1;
            in1 = 2 * in1 - 1;
        }
        var outs0 = net.forward(ScaleInput(in0));
        var outs1 = net.forward(ScaleInput(in1));
        var perLayer = new Tensor[_lins.Length];
        var diffs = new Tensor[_lins.Length];
        for (int k = 0; k < _lins.Length; k++)
        {
            diffs[k] = (UnitNormalize(outs0[k]) - UnitNormalize(outs1[k])).square();
            perLayer[k] = _lins[k].forward(diffs[k]).mean([2, 3], keepdim: true);   // spatial_average
        }
        var value = perLayer[0];
        for (int k = 1; k < perLayer.Length; k++) value = value + perLayer[k];
        long n = in0.shape[0];
        var distance = value.reshape(n).MoveToOuterDisposeScope();
        var layers = torch.cat(perLayer, 1).reshape(n, perLayer.Length).MoveToOuterDisposeScope();
        var keptDiffs = returnDiffs ? diffs.Select(d => d.MoveToOuterDisposeScope()).ToArray() : null;
        return new LpipsOutput(distance, layers, keptDiffs);
    }

    /// <summary>pyiqa's <c>lpips(dist, ref)</c>: (1,3,H,W) float32 RGB in [0,1]; returns the distance (lower is better).</summary>
    public double Score(Tensor distorted, Tensor? reference = null)
    {
        ArgumentNullException.ThrowIfNull(distorted);
        if (reference is null) throw new ArgumentNullException(nameof(reference), $"{Name} is a full-reference metric: pass the reference image.");
        CheckPair(distorted, reference, nameof(distorted), nameof(reference));
        if (distorted.shape[0] != 1)
            throw new ArgumentException($"distorted must be one image (1,3,H,W); got [{string.Join(",", distorted.shape)}].", nameof(distorted));
        // pyiqa: forward(in1=dist, in0=ref, normalize=True).
        using var r = reference.to(Device);   // a new handle even on the same device: disposed here
        using var d = distorted.to(Device);
        using var output = Forward(r, d, normalize: true);
        return output.Distance.item<float>();
    }

    /// <summary>Pairs of equal size are scored in one forward pass (pyiqa's call per pair, stacked).</summary>
    public IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null)
    {
        foreach (var t in distorted ?? []) if (t is not null) CheckPair(t, t, nameof(distorted), nameof(distorted));
        return MetricBatching.ByEqualSize(this, distorted!, references, Device, (d, r) =>
        {
            using var output = Forward(r!, d, normalize: true);
            return output.Distance.alias();
        });
    }

    /// <summary>The device of the trunk's weights.</summary>
    public Device Device => net.parameters().First().device;

    public void MoveTo(Device device) => this.to(device);

    static Tensor ScaleInput(Tensor x)
    {
        using var shift = torch.tensor(Shift, [1, 3, 1, 1], device: x.device);
        using var scale = torch.tensor(Scale, [1, 3, 1, 1], device: x.device);
        return (x - shift) / scale;
    }

    // PORT-QUIRK(LPIPS, lpips/__init__.py normalize_tensor): eps is added to the norm, not inside the sqrt.
    static Tensor UnitNormalize(Tensor x) => x / (x.square().sum(1, keepdim: true).sqrt() + NormalizeEps);

    void CheckPair(Tensor a, Tensor b, string nameA, string nameB)
    {
        ArgumentNullException.ThrowIfNull(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        foreach (var (t, name) in new[] { (a, nameA), (b, nameB) })
        {
            if (t.ndim != 4 || t.shape[1] != 3)
                throw new ArgumentException($"{name} must be (N,3,H,W); got [{string.Join(",", t.shape)}].", name);
            if (t.dtype != ScalarType.Float32)
                throw new ArgumentException($"{name} must be float32; got {t.dtype}.", name);
            if (SizeProblem(t.shape[2], t.shape[3]) is { } problem) throw new ArgumentException(problem);
        }
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{nameA} [{string.Join(",", a.shape)}] and {nameB} [{string.Join(",", b.shape)}] must have the same shape.", nameB);
    }
}
