// HF-Diff's extra training terms on top of SinSR's distillation loss, and the ablation baselines of its Table 4.
// Paper: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024). Released code: the high-frequency loss on VQ latents with weight 0.2 (see docs/PROVENANCE.md);
// the image-domain variant, the distribution matching wiring and the VGG/LPIPS baselines follow the paper's text and are ours.
using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Losses.Perceptual;
using HfDiff.Torch.Metrics.Lpips;
using TorchSharp;
using HfDiff.Torch.Archs.Vgg;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// The <see cref="DistillationExtraTerm"/>s of <see cref="HfDiffLossOptions.Terms"/>, each with its λ as the term weight
/// (so the CSV log shows the unweighted value):
/// <list type="bullet">
/// <item><c>hf</c>: MSE of INN features of the student's z_0 prediction (<see cref="SinSrDistillationResult.PredZStart"/>,
/// with graph) vs z_0 of the GT; <c>hf_image</c>: of the decoded SR vs the GT image.</item>
/// <item><c>dm</c>: JS divergence of DINOv2 class-token distributions of the decoded SR vs the GT image.</item>
/// <item><c>vgg</c>, <c>lpips</c>: the Table 4 baselines on the decoded SR vs the GT image.</item>
/// </list>
/// Image terms decode the prediction once per microbatch through the gradient-enabled <see cref="LatentDecoder"/> (not
/// clamped, so the gradient is not cut where the decode leaves [−1, 1]); the GT side is the real GT batch in [−1, 1]
/// (<see cref="SinSrDistillationResult.Gt"/>), computed without gradient. Every network is frozen (<c>requires_grad</c>
/// false, eval mode), so the gradient reaches the student only. With <see cref="HfDiffLossOptions.TermPrecision"/> bf16,
/// DINOv2 is converted to bfloat16 here (the decoder's precision is <see cref="ImageTermDecoder"/>'s).
/// </summary>
public sealed class HfDiffExtraTerms : IDisposable
{
    public const string HighFrequencyName = "hf", HighFrequencyImageName = "hf_image", DistributionMatchingName = "dm", VggName = "vgg", LpipsName = "lpips";
    /// <summary>File name <c>hfdiff pretrain-inn</c> writes, looked up in the model directory when no INN path is set.</summary>
    public const string DefaultInnFileName = "hfdiff_inn_extractor.safetensors";

    readonly LatentDecoder? _decoder;
    readonly TracingLatentDecoder? _tracingDecoder;
    readonly HfDiffLossNetworks _networks;
    readonly bool _ownsNetworks;
    readonly VggPerceptualLoss? _vgg;
    SinSrDistillationResult? _decodedFor;
    Tensor? _decoded;
    readonly List<ImageTerm> _imageTerms = [];
    SinSrDistillationResult? _chunkedFor;
    Dictionary<string, Tensor>? _chunkedValues;

    /// <summary>A term on the decoded prediction and the GT image (both (B, 3, H, W) in [−1, 1]), with its weight.</summary>
    sealed record ImageTerm(string Name, double Weight, Func<Tensor, Tensor, Tensor> Compute);

    /// <param name="options">Which terms and their weights.</param>
    /// <param name="networks">The network of each selected term (others may be null); they are frozen here.</param>
    /// <param name="decoder">Gradient-enabled decoder; required by image-domain terms.</param>
    /// <param name="ownsNetworks">Dispose the networks with this object.</param>
    /// <param name="tracingDecoder">The same decode keeping its stage inputs, whose input gradient is then taken without all of
    /// the decoder's activations at once and without decoding again (e.g. <see cref="ImageTermDecoder.DecodeTraced"/>); used by
    /// <see cref="HfDiffLossOptions.ImageChunk"/>, which otherwise decodes without gradients and back-propagates through a
    /// second decode of <paramref name="decoder"/> with a graph.</param>
    public HfDiffExtraTerms(HfDiffLossOptions options, HfDiffLossNetworks networks, LatentDecoder? decoder, bool ownsNetworks = false,
                            TracingLatentDecoder? tracingDecoder = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _networks = networks ?? throw new ArgumentNullException(nameof(networks));
        options.Validate();
        _decoder = decoder;
        _tracingDecoder = tracingDecoder;
        _ownsNetworks = ownsNetworks;
        var t = options.Terms;
        bool hf = t.HasFlag(HfDiffLossTerms.HighFrequency), image = t.HasFlag(HfDiffLossTerms.DistributionMatching) || t.HasFlag(HfDiffLossTerms.VggPerceptual)
            || t.HasFlag(HfDiffLossTerms.Lpips) || (hf && options.HighFrequencyDomain == HighFrequencyLossDomain.Rgb);
        if (image && decoder is null)
            throw new ArgumentNullException(nameof(decoder), $"The terms {HfDiffAblation.Format(t)} work on decoded images and need a gradient-enabled decoder.");
        var terms = new List<DistillationExtraTerm>();
        var frozen = new List<nn.Module>();
        T Need<T>(T? net, string what) where T : nn.Module
        {
            if (net is null) throw new ArgumentException($"The {what} term needs networks.{typeof(T).Name}.", nameof(networks));
            foreach (var p in net.parameters()) p.requires_grad = false;
            net.eval();
            frozen.Add(net);
            return net;
        }
        if (hf)
        {
            var inn = Need(networks.Inn, "high-frequency");
            bool latent = options.HighFrequencyDomain == HighFrequencyLossDomain.VqLatent;
            var loss = new HighFrequencyPerceptualLoss(inn, new HighFrequencyPerceptualLossOptions { Domain = options.HighFrequencyDomain, Weight = 1.0 });
            terms.Add(latent
                ? new DistillationExtraTerm(HighFrequencyName, options.EffectiveHighFrequencyWeight, r => loss.Compute(r.PredZStart, r.ZStartGt))
                : Image(HighFrequencyImageName, options.EffectiveHighFrequencyWeight, loss.Compute));
        }
        if (t.HasFlag(HfDiffLossTerms.DistributionMatching))
        {
            var dino = Need(networks.Dinov2, "distribution-matching");
            if (options.TermPrecision == HfDiffTermPrecision.Bf16) dino.to(ScalarType.BFloat16);
            var loss = new DistributionMatchingLoss(dino, new DistributionMatchingLossOptions { Weight = 1.0, Temperature = options.DistributionMatchingTemperature });
            terms.Add(Image(DistributionMatchingName, options.DistributionMatchingWeight, loss.Compute));
        }
        if (t.HasFlag(HfDiffLossTerms.VggPerceptual))
        {
            _vgg = new VggPerceptualLoss(Need(networks.Vgg, "VGG perceptual"), new VggPerceptualLossOptions { RangeNorm = true });
            terms.Add(Image(VggName, options.VggWeight, _vgg.Compute));
        }
        if (t.HasFlag(HfDiffLossTerms.Lpips))
        {
            var loss = new LpipsPerceptualLoss(Need(networks.Lpips, "LPIPS"), inputsInZeroOne: false);
            terms.Add(Image(LpipsName, options.LpipsWeight, (sr, gt) => loss.Compute(sr, gt)));
        }
        Terms = terms;
        Networks = frozen;
    }

    public HfDiffLossOptions Options { get; }
    /// <summary>The terms to pass as <see cref="SinSrStudentTrainerOptions.ExtraTerms"/>.</summary>
    public IReadOnlyList<DistillationExtraTerm> Terms { get; }
    /// <summary>The frozen networks in use (keep them in eval mode).</summary>
    public IReadOnlyList<nn.Module> Networks { get; }

    /// <summary>
    /// Builds the networks of <paramref name="options"/> from their weight files and freezes them on <paramref name="device"/>.
    /// Every file is looked up before any is read; missing ones fail together with <see cref="ModelAssetMissingException"/>
    /// naming each file and the <c>hfdiff models fetch</c> name that downloads it (or <c>hfdiff pretrain-inn</c> for the INN).
    /// </summary>
    /// <param name="decoder">Gradient-enabled decoder for image-domain terms (e.g. the frozen VQ's <c>Decode(z / scale_factor)</c>).</param>
    /// <param name="models">Where official weights and relative INN/DINOv2 file names are looked up.</param>
    /// <param name="tracingDecoder">See the constructor.</param>
    public static HfDiffExtraTerms Load(HfDiffLossOptions options, LatentDecoder? decoder, ModelDirectory models, string device = "cpu",
                                        TracingLatentDecoder? tracingDecoder = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(models);
        options.Validate();
        var dev = torch.device(device);
        var t = options.Terms;
        var missing = new List<string>();
        string? Asset(ModelAsset a)
        {
            var p = models.Find(a);
            if (p is null) missing.Add($"  {a.FileName}  ({a.UsedBy}, from {a.Source}): hfdiff models fetch {AssetAliases.FetchNameFor(a)}");
            return p;
        }
        string? File(string? given, string fallbackName, string missingHint)
        {
            var name = string.IsNullOrWhiteSpace(given) ? fallbackName : given;
            var tried = new[] { Path.GetFullPath(name), models.PathOf(Path.GetFileName(name)) }.Distinct().ToList();
            var p = tried.FirstOrDefault(System.IO.File.Exists);
            if (p is null) missing.Add($"  {name}  (tried {string.Join(", ", tried)}): {missingHint}");
            return p;
        }
        string? inn = null, dino = null, vgg = null, lpTrunk = null, lpLin = null;
        if (t.HasFlag(HfDiffLossTerms.HighFrequency))
            inn = File(options.InnCheckpoint, DefaultInnFileName, "train it with 'hfdiff pretrain-inn' and set hfdiff.inn_ckpt to the weights file");
        if (t.HasFlag(HfDiffLossTerms.DistributionMatching))
        {
            var asset = Dinov2Hub.AssetFor(options.Dinov2Model);
            dino = options.Dinov2Checkpoint is null ? Asset(asset) : File(options.Dinov2Checkpoint, asset.FileName, $"hfdiff models fetch {AssetAliases.FetchNameFor(asset)}");
        }
        if (t.HasFlag(HfDiffLossTerms.VggPerceptual)) vgg = Asset(KnownAssets.TorchvisionVgg16);
        if (t.HasFlag(HfDiffLossTerms.Lpips))
        {
            lpTrunk = Asset(options.LpipsNet == LpipsNet.Alex ? KnownAssets.TorchvisionAlexNet : KnownAssets.TorchvisionVgg16);
            lpLin = Asset(options.LpipsNet == LpipsNet.Alex ? KnownAssets.LpipsAlexLinear : KnownAssets.LpipsVggLinear);
        }
        if (missing.Count > 0)
            throw new ModelAssetMissingException(
                $"The {HfDiffAblation.Format(t)} loss terms need {(missing.Count == 1 ? "this file" : "these files")} (model directory '{models.Root}'):\n"
                + string.Join("\n", missing) + $"\nDownload them there, or point --models / ${ModelDirectory.EnvironmentVariable} at the folder that has them.");

        var nets = new HfDiffLossNetworks();
        try
        {
            if (inn is not null) nets = nets with { Inn = HfDiffInnFeatureExtractor.FromFile(inn) };
            if (dino is not null)
            {
                var net = new DinoVisionTransformer(DinoVisionTransformerOptions.FromHubName(options.Dinov2Model));
                nets = nets with { Dinov2 = net };
                net.LoadWeights(dino);
            }
            if (vgg is not null)
            {
                var net = new Vgg16Features();
                nets = nets with { Vgg = net };
                net.LoadWeights(vgg);
            }
            if (lpTrunk is not null) nets = nets with { Lpips = LpipsMetric.FromFiles(options.LpipsNet, lpTrunk, lpLin!) };
            foreach (var m in new nn.Module?[] { nets.Inn, nets.Dinov2, nets.Vgg, nets.Lpips }) m?.to(dev);
            return new HfDiffExtraTerms(options, nets, decoder, ownsNetworks: true, tracingDecoder);
        }
        catch
        {
            nets.Inn?.Dispose(); nets.Dinov2?.Dispose(); nets.Vgg?.Dispose(); nets.Lpips?.Dispose();
            throw;
        }
    }

    /// <summary>An image-domain term: on the decoded prediction with gradients, or through <see cref="ChunkedImageTerms"/>.</summary>
    DistillationExtraTerm Image(string name, double weight, Func<Tensor, Tensor, Tensor> compute)
    {
        var term = new ImageTerm(name, weight, compute);
        _imageTerms.Add(term);
        return new DistillationExtraTerm(name, weight, r => Options.ImageChunk > 0 ? ChunkedImageTerms(r)[name] : compute(Decoded(r), r.Gt));
    }

    /// <summary>
    /// Every image term of <paramref name="r"/> at once, with the decoder's activations alive for
    /// <see cref="HfDiffLossOptions.ImageChunk"/> samples at a time: decode without a graph; the terms on the decoded images
    /// as a leaf and g = ∂(Σ λ·term)/∂image; then per chunk ∂⟨decode(z), g⟩/∂z, from the traced decode's kept stage inputs
    /// (every chunk's are kept until its gradient is taken), or else by decoding again with gradients from a detached z.
    /// One term (the first with λ &gt; 0) carries s − s.detach() / λ with s = ⟨z_0^pred, ∂/∂z⟩: its value adds exactly 0,
    /// and its gradient is that of every image term together. The others are returned without graph.
    /// </summary>
    Dictionary<string, Tensor> ChunkedImageTerms(SinSrDistillationResult r)
    {
        if (ReferenceEquals(r, _chunkedFor) && _chunkedValues is not null) return _chunkedValues;
        var z = r.PredZStart.detach();
        long batch = z.shape[0], chunk = Options.ImageChunk;
        var traces = new List<ILatentDecodeTrace>();
        try
        {
            Tensor decoded;
            using (no_grad())
            {
                var parts = new List<Tensor>();
                for (long s = 0; s < batch; s += chunk)
                {
                    var zc = z.narrow(0, s, Math.Min(chunk, batch - s));
                    if (_tracingDecoder is null) { parts.Add(_decoder!(zc)); continue; }
                    var trace = _tracingDecoder(zc);
                    traces.Add(trace);
                    parts.Add(trace.Image);
                }
                decoded = parts.Count == 1 ? parts[0].alias() : cat(parts, 0);
            }
            if (!decoded.shape.SequenceEqual(r.Gt.shape))
                throw new InvalidOperationException($"The decoder returned [{string.Join(", ", decoded.shape)}] for a GT batch [{string.Join(", ", r.Gt.shape)}].");
            var image = decoded.detach().requires_grad_(true);
            var values = _imageTerms.ToDictionary(t => t.Name, t => t.Compute(image, r.Gt), StringComparer.Ordinal);
            var weighted = _imageTerms.Where(t => t.Weight > 0).ToList();
            var result = values.ToDictionary(kv => kv.Key, kv => kv.Value.detach(), StringComparer.Ordinal);
            if (weighted.Count > 0)
            {
                var sum = weighted.Select(t => values[t.Name] * t.Weight).Aggregate((a, b) => a + b);
                var gImage = torch.autograd.grad([sum], [image])[0];
                var gz = zeros_like(z);
                for (long s = 0, k = 0; s < batch; s += chunk, k++)
                {
                    long n = Math.Min(chunk, batch - s);
                    using var chunkScope = NewDisposeScope();
                    using var g = gImage.narrow(0, s, n);
                    if (_tracingDecoder is null) gz.narrow(0, s, n).copy_(DecoderGraphInputGradient(z.narrow(0, s, n), g));
                    else
                    {
                        gz.narrow(0, s, n).copy_(traces[(int)k].InputGradient(g));
                        traces[(int)k].Dispose();
                    }
                }
                var surrogate = (r.PredZStart * gz).sum();
                var carrier = weighted[0];
                result[carrier.Name] = result[carrier.Name] + (surrogate - surrogate.detach()) / carrier.Weight;
            }
            _chunkedFor = r;
            _chunkedValues = result;
            return result;
        }
        finally
        {
            foreach (var t in traces) t.Dispose();
        }
    }

    /// <summary>∂⟨decoder(z), g⟩/∂z by autograd through a graph of the decoder.</summary>
    Tensor DecoderGraphInputGradient(Tensor z, Tensor g)
    {
        var zc = z.detach().requires_grad_(true);
        var inner = (_decoder!(zc) * g).sum();
        return torch.autograd.grad([inner], [zc])[0];
    }

    /// <summary>The decoded student prediction of <paramref name="r"/>, computed once per result (it lives in the loss's scope).</summary>
    Tensor Decoded(SinSrDistillationResult r)
    {
        if (!ReferenceEquals(r, _decodedFor) || _decoded is null)
        {
            _decoded = _decoder!(r.PredZStart);
            _decodedFor = r;
            if (!_decoded.shape.SequenceEqual(r.Gt.shape))
                throw new InvalidOperationException($"The decoder returned [{string.Join(", ", _decoded.shape)}] for a GT batch [{string.Join(", ", r.Gt.shape)}].");
        }
        return _decoded;
    }

    public void Dispose()
    {
        _decodedFor = null;
        _decoded = null;
        _chunkedFor = null;
        _chunkedValues = null;
        _vgg?.Dispose();
        if (_ownsNetworks)
        {
            _networks.Inn?.Dispose(); _networks.Dinov2?.Dispose(); _networks.Vgg?.Dispose(); _networks.Lpips?.Dispose();
        }
    }
}
