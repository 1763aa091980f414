// HF-Diff high-frequency feature extractor: shallow residual stem followed by the CDDFuse INN.
// INN source: github.com/Zhaozixiang1228/MMIF-CDDFuse, net.py, commit fd8da1f39d8d403b7343e577bd5a30cba38c7b7b (DetailFeatureExtraction).
// Papers: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024); Zhao et al., "CDDFuse", CVPR 2023.
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// The network behind HF-Diff's high-frequency perceptual loss: a shallow residual stem lifts the input from
/// <see cref="HfDiffInnFeatureExtractorOptions.InChannels"/> to N channels, then K invertible nodes
/// (<see cref="DetailFeatureExtraction"/>) extract the detail features. Spatial size is preserved:
/// <c>(B, in, H, W)</c> → <c>(B, N, H, W)</c>. For pretraining as an ImageNet classifier, <see cref="Classify"/> adds
/// global average pooling and a linear head.
/// </summary>
/// <remarks>
/// The paper specifies the INN (CDDFuse nodes) and the classification pretraining but not the exact stem; this stem
/// (3×3 conv, then <c>StemDepth</c> residual blocks) is our design. State-dict keys: <c>stem_conv.*</c>,
/// <c>stem_blocks.j.conv{1,2}.*</c>, <c>inn.net.i.*</c> (CDDFuse names), <c>head.*</c>.
/// </remarks>
public sealed class HfDiffInnFeatureExtractor : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch-style attribute names
    readonly Conv2d stem_conv;
    readonly ModuleList<StemResidualBlock> stem_blocks;
    readonly DetailFeatureExtraction inn;
    readonly Linear head;
#pragma warning restore IDE1006

    public HfDiffInnFeatureExtractorOptions Options { get; }

    public HfDiffInnFeatureExtractor(HfDiffInnFeatureExtractorOptions? options = null) : base(nameof(HfDiffInnFeatureExtractor))
    {
        Options = options ?? new HfDiffInnFeatureExtractorOptions();
        Options.Validate();
        stem_conv = nn.Conv2d(Options.InChannels, Options.Channels, 3, padding: 1);
        stem_blocks = new ModuleList<StemResidualBlock>(Enumerable.Range(0, Options.StemDepth).Select(_ => new StemResidualBlock(Options.Channels)).ToArray());
        inn = new DetailFeatureExtraction(Options.NumNodes, Options.Channels);
        head = nn.Linear(Options.Channels, Options.NumClasses);
        RegisterComponents();
    }

    /// <summary>The INN part (CDDFuse <c>DetailFeatureExtraction</c>), e.g. to load CDDFuse weights into it.</summary>
    public DetailFeatureExtraction Inn => inn;

    /// <summary>High-frequency features <c>(B, N, H, W)</c> of <c>(B, InChannels, H, W)</c> input (any value range the model was trained on).</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Options.InChannels)
            throw new ArgumentException($"{nameof(HfDiffInnFeatureExtractor)} expects (B, {Options.InChannels}, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = torch.NewDisposeScope();
        var h = PaddedOutputConv.Call(stem_conv, x);
        foreach (var block in stem_blocks) h = block.forward(h);
        return inn.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Classification logits <c>(B, NumClasses)</c>: features → global average pooling → linear (pretraining head).</summary>
    public Tensor Classify(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var features = forward(x);
        var pooled = features.mean([2, 3]);
        return head.forward(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>Loads a full extractor state dict (<c>.pth</c>/<c>.safetensors</c>, <c>module.</c> tolerated).</summary>
    public void LoadWeights(string path, bool strict = true) => Checkpoint.LoadInto(this, path, strict);

    /// <summary>
    /// Builds a frozen-ready extractor from a full state dict (e.g. <c>hfdiff_inn_extractor.safetensors</c> written by
    /// <c>hfdiff pretrain-inn</c>), reading its shape from the keys: <c>stem_conv.weight</c> [N, in, 3, 3], the number of
    /// <c>stem_blocks.j</c> and <c>inn.net.i</c>, <c>head.weight</c> [classes, N]. Loaded strictly.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is not an extractor state dict.</exception>
    public static HfDiffInnFeatureExtractor FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"INN extractor weights '{path}' do not exist.", path);
        var sd = Checkpoint.LoadStateDict(path);
        try
        {
            var stripped = Checkpoint.StripPrefix(sd, "module.");   // shares the tensors
            if (!stripped.TryGetValue("stem_conv.weight", out var stem) || stem.dim() != 4 || !stripped.TryGetValue("head.weight", out var head) || head.dim() != 2)
                throw new CheckpointFormatException(
                    $"'{path}' is not an HF-Diff INN extractor state dict (no stem_conv.weight / head.weight); expected the weights file of 'hfdiff pretrain-inn'.");
            static int Count(IEnumerable<string> keys, string prefix) => keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Select(k => int.Parse(k.AsSpan(prefix.Length, k.IndexOf('.', prefix.Length) - prefix.Length), System.Globalization.CultureInfo.InvariantCulture))
                .DefaultIfEmpty(-1).Max() + 1;
            var options = new HfDiffInnFeatureExtractorOptions
            {
                Channels = (int)stem.shape[0], InChannels = (int)stem.shape[1], NumClasses = (int)head.shape[0],
                StemDepth = Count(stripped.Keys, "stem_blocks."), NumNodes = Count(stripped.Keys, "inn.net."),
            };
            var net = new HfDiffInnFeatureExtractor(options);
            try { Checkpoint.LoadInto(net, stripped, strict: true, source: $"'{path}'"); }
            catch { net.Dispose(); throw; }
            return net;
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>Loads only the INN part from a CDDFuse-style checkpoint (see <see cref="DetailFeatureCheckpoint"/>).</summary>
    public void LoadInnWeights(string path, CddFuseInnSource source = CddFuseInnSource.Auto)
    {
        var sd = DetailFeatureCheckpoint.LoadStateDict(path, source);
        try { Checkpoint.LoadInto(inn, sd, strict: true, source: $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { stem_conv.Dispose(); stem_blocks.Dispose(); inn.Dispose(); head.Dispose(); }
        base.Dispose(disposing);
    }
}
