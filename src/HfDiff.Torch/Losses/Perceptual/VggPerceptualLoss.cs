// VGG perceptual loss, the ablation baseline of HF-Diff's high-frequency perceptual loss.
// Port of the math of BasicSR PerceptualLoss (XPixelGroup/BasicSR, basicsr/losses/basic_loss.py) and VGGFeatureExtractor
// (basicsr/archs/vgg_arch.py) @ 2ca24be2c2f0e752c7637e61a2b2dc4e95a3c094, on torchvision VGG16 instead of BasicSR's VGG19
// default. Paper: Johnson et al., "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016.
using HfDiff.Torch.Assets;
using TorchSharp;
using HfDiff.Torch.Archs.Vgg;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>
/// <c>PerceptualWeight · Σ_k w_k · d(φ_k(SR), φ_k(GT))</c> over the chosen VGG16 layers φ_k, with d the
/// <see cref="VggPerceptualLossOptions.Criterion"/>. Inputs <c>(B, 3, H, W)</c> RGB in [0,1] ([-1,1] with
/// <see cref="VggPerceptualLossOptions.RangeNorm"/>), H, W ≥ 2^(pools before the deepest layer). GT features are computed
/// without gradient (BasicSR detaches GT). Style (Gram) terms of BasicSR are not included.
/// </summary>
public sealed class VggPerceptualLoss : IPerceptualLoss, IDisposable
{
    readonly Vgg16Features _network;
    readonly bool _ownsNetwork;
    readonly Tensor _mean, _std;
    readonly string[] _layers;

    public VggPerceptualLossOptions Options { get; }
    public Vgg16Features Network => _network;

    /// <summary>
    /// Uses <paramref name="network"/> as is (freeze it — <c>requires_grad_(false)</c>, <c>eval()</c> — unless you want it
    /// trained); the loss disposes it only when <paramref name="ownsNetwork"/> is true.
    /// </summary>
    public VggPerceptualLoss(Vgg16Features network, VggPerceptualLossOptions? options = null, bool ownsNetwork = false)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        Options = options ?? new VggPerceptualLossOptions();
        Options.Validate();
        _ownsNetwork = ownsNetwork;
        _layers = [.. Options.LayerWeights.Keys];
        var device = network.parameters().First().device;
        _mean = tensor(new[] { 0.485f, 0.456f, 0.406f }, [1, 3, 1, 1]).to(device);
        _std = tensor(new[] { 0.229f, 0.224f, 0.225f }, [1, 3, 1, 1]).to(device);
    }

    /// <summary>Builds a frozen VGG16 from torchvision weights at <paramref name="weightsPath"/> (e.g. <c>vgg16-397923af.pth</c>).</summary>
    public static VggPerceptualLoss Load(string weightsPath, VggPerceptualLossOptions? options = null)
    {
        var net = new Vgg16Features();
        try
        {
            net.LoadWeights(weightsPath);
            foreach (var p in net.parameters()) p.requires_grad = false;
            net.eval();
            return new VggPerceptualLoss(net, options, ownsNetwork: true);
        }
        catch { net.Dispose(); throw; }
    }

    /// <summary>As <see cref="Load"/>, with the file <c>vgg16-397923af.pth</c> from the model directory.</summary>
    public static VggPerceptualLoss FromModelDirectory(ModelDirectory models, VggPerceptualLossOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        return Load(models.Require(KnownAssets.TorchvisionVgg16), options);
    }

    /// <summary>Scalar loss of <paramref name="sr"/> against <paramref name="gt"/>, both <c>(B, 3, H, W)</c>.</summary>
    public Tensor Compute(Tensor sr, Tensor gt)
    {
        ArgumentNullException.ThrowIfNull(sr);
        ArgumentNullException.ThrowIfNull(gt);
        if (!sr.shape.SequenceEqual(gt.shape))
            throw new ArgumentException($"SR and GT images must have the same shape; got [{string.Join(", ", sr.shape)}] and [{string.Join(", ", gt.shape)}].", nameof(gt));
        if (sr.dim() != 4 || sr.shape[1] != 3)
            throw new ArgumentException($"SR/GT images must be (B, 3, H, W) RGB; got [{string.Join(", ", sr.shape)}].", nameof(sr));
        using var scope = torch.NewDisposeScope();
        var fSr = _network.Extract(Prepare(sr), _layers);
        Dictionary<string, Tensor> fGt;
        using (torch.no_grad()) fGt = _network.Extract(Prepare(gt), _layers);
        Tensor? total = null;
        foreach (var (name, weight) in Options.LayerWeights)
        {
            var d = Options.Criterion switch
            {
                PerceptualCriterion.L1 => nn.functional.l1_loss(fSr[name], fGt[name]),
                PerceptualCriterion.L2 => nn.functional.mse_loss(fSr[name], fGt[name]),
                _ => (fSr[name] - fGt[name]).pow(2).sum().sqrt(),
            };
            var term = d * weight;
            total = total is null ? term : total + term;
        }
        return (total! * Options.PerceptualWeight).MoveToOuterDisposeScope();
    }

    Tensor Prepare(Tensor x)
    {
        if (Options.RangeNorm) x = (x + 1) / 2;
        if (Options.UseInputNorm) x = (x - _mean) / _std;
        return x;
    }

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
        if (_ownsNetwork) _network.Dispose();
    }
}
