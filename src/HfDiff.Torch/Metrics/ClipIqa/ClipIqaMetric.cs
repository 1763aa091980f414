// Port of pyiqa's CLIPIQA (chaofengc/IQA-PyTorch pyiqa/archs/clipiqa_arch.py, commit
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8). Paper: Wang, Chan, Loy, "Exploring CLIP for Assessing the Look and
// Feel of Images", AAAI 2023.
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Weights.TorchScript;
using TorchSharp;
using HfDiff.Torch.Metrics.ClipIqa.Text;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.ClipIqa;

/// <summary>
/// CLIP-IQA / CLIP-IQA+ (no-reference, higher is better, in [0, 1]). The image ((1,3,H,W) float32 RGB in [0,1],
/// any size ≥ 32×32, not resized) is normalised with OpenAI CLIP's mean/std and encoded; for each (good, bad) prompt
/// pair the score is softmax([s_good, s_bad])[0] with s = logit_scale.exp()·cos(image, text); the metric is the mean
/// over pairs. Text features are computed once, in the constructor.
/// </summary>
public sealed class ClipIqaMetric : IImageQualityMetric
{
    /// <summary>OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (pyiqa archs/constants.py).</summary>
    public static IReadOnlyList<float> ClipMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];
    public static IReadOnlyList<float> ClipStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    readonly bool _ownsModel;
    Tensor _mean;
    Tensor _std;
    Tensor _textFeatures;

    public ClipIqaOptions Options { get; }
    public ClipModel Model { get; }
    /// <summary>CLIP-IQA+ only: the learned prompt assembly.</summary>
    public ClipIqaPromptLearner? PromptLearner { get; }
    /// <summary>clipiqa: clip.tokenize of the prompts (P, context); clipiqa+: of the init prompts (2, context).</summary>
    public Tensor PromptTokens { get; }

    public string Name => Options.Variant == ClipIqaVariant.ClipIqaPlus ? "clipiqa+" : "clipiqa";
    public MetricMode Mode => MetricMode.NoReference;
    public bool LowerIsBetter => false;

    /// <summary>Loads CLIP, the tokenizer and (for CLIP-IQA+) the learned prompts from the options' paths or the model directory.</summary>
    public ClipIqaMetric(ClipIqaOptions? options = null) : this(LoadParts(options ?? new ClipIqaOptions()), options ?? new ClipIqaOptions(), ownsModel: true) { }

    /// <summary>
    /// Builds the metric on an already loaded CLIP (shared, not disposed by the metric). <paramref name="learnedContext"/>
    /// is required for <see cref="ClipIqaVariant.ClipIqaPlus"/> and ignored otherwise.
    /// </summary>
    public ClipIqaMetric(ClipModel model, ClipTokenizer tokenizer, ClipIqaOptions options, Tensor? learnedContext = null)
        : this((model, tokenizer, learnedContext), options, ownsModel: false) { }

    ClipIqaMetric((ClipModel Model, ClipTokenizer Tokenizer, Tensor? Context) parts, ClipIqaOptions options, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(parts.Model, "model");
        ArgumentNullException.ThrowIfNull(parts.Tokenizer, "tokenizer");
        options.Validate();
        Options = options;
        Model = parts.Model;
        _ownsModel = ownsModel;
        _mean = tensor(ClipMean.ToArray(), [1, 3, 1, 1]);
        _std = tensor(ClipStd.ToArray(), [1, 3, 1, 1]);
        using var _ = no_grad();
        if (options.Variant == ClipIqaVariant.ClipIqaPlus)
        {
            if (parts.Context is null)
                throw new ArgumentNullException("learnedContext", "CLIP-IQA+ needs the learned prompt context (e.g. CLIP-IQA+_learned_prompts-603f3273.pth).");
            PromptLearner = new ClipIqaPromptLearner(Model, parts.Tokenizer, parts.Context, options.ContextTokens);
            PromptTokens = PromptLearner.TokenizedPrompts;
            _textFeatures = PromptLearner.TextFeatures(Model);
        }
        else
        {
            PromptTokens = parts.Tokenizer.Tokenize(options.Prompts, Model.Options.ContextLength);
            _textFeatures = Model.EncodeText(PromptTokens);
        }
        if (ownsModel) parts.Context?.Dispose();   // loaded by us; the prompt learner keeps its own copy
    }

    static (ClipModel, ClipTokenizer, Tensor?) LoadParts(ClipIqaOptions options)
    {
        options.Validate();
        var dir = ModelDirectory.Resolve(options.ModelDirectory);
        bool plus = options.Variant == ClipIqaVariant.ClipIqaPlus;
        // Every file not given explicitly comes from the model directory; all missing ones are named in one error.
        var needed = new List<ModelAsset>();
        if (options.ClipWeightsPath is null) needed.Add(KnownAssets.ClipRn50);
        if (options.BpeVocabPath is null) needed.Add(KnownAssets.ClipBpeVocab);
        if (plus && options.LearnedPromptsPath is null) needed.Add(KnownAssets.ClipIqaPlusPrompts);
        dir.RequireAll(needed.ToArray());
        var tokenizer = ClipTokenizer.FromFile(options.BpeVocabPath ?? dir.PathOf(KnownAssets.ClipBpeVocab.FileName));
        Tensor? context = plus
            ? TorchSavedTensor.Load(options.LearnedPromptsPath ?? dir.PathOf(KnownAssets.ClipIqaPlusPrompts.FileName))
            : null;
        try { return (ClipModel.Load(options.ClipWeightsPath ?? dir.PathOf(KnownAssets.ClipRn50.FileName)), tokenizer, context); }
        catch { context?.Dispose(); throw; }
    }

    /// <summary>Unnormalised text features of the prompts (P, embed_dim); cached, owned by the metric.</summary>
    public Tensor TextFeatures => _textFeatures;

    /// <summary>(N,3,H,W) [0,1] → CLIP image features (N, embed_dim), with the options' positional-embedding setting.</summary>
    public Tensor ImageFeatures(Tensor images)
    {
        CheckImages(images, nameof(images));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // PORT-QUIRK(pyiqa, clipiqa_arch.py CLIPIQA.forward): the image is only normalised, never resized or cropped to
        // CLIP's 224×224, so features depend on the input resolution (the attention pool takes any token count).
        var x = (images.to(ScalarType.Float32, Device) - _mean) / _std;
        return Model.EncodeImage(x, Options.PosEmbedding).MoveToOuterDisposeScope();
    }

    /// <summary>(N,3,H,W) [0,1] → logits per image (N, P).</summary>
    public Tensor LogitsPerImage(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Model.LogitsPerImage(ImageFeatures(images), _textFeatures).MoveToOuterDisposeScope();
    }

    /// <summary>(N,3,H,W) [0,1] → scores (N, 1): mean over prompt pairs of softmax(pair)[good].</summary>
    public Tensor ScoreBatch(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = LogitsPerImage(images);
        var probs = logits.reshape(logits.shape[0], -1, 2).softmax(-1);
        return probs.select(-1, 0).mean([1], keepdim: true).MoveToOuterDisposeScope();
    }

    public double Score(Tensor distorted, Tensor? reference = null)
    {
        if (reference is not null)
            throw new ArgumentException($"{Name} is a no-reference metric; pass no reference image.", nameof(reference));
        CheckImages(distorted, nameof(distorted));
        if (distorted.shape[0] != 1)
            throw new ArgumentException($"distorted must hold one image (1,3,H,W); got [{string.Join(",", distorted.shape)}]. Use ScoreBatch for batches.", nameof(distorted));
        using var s = ScoreBatch(distorted);
        return s.item<float>();
    }

    /// <summary>Images of equal size are encoded in one forward pass.</summary>
    public IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null)
    {
        foreach (var t in distorted ?? []) if (t is not null) CheckImages(t, nameof(distorted));
        return MetricBatching.ByEqualSize(this, distorted!, references, Device, (d, _) => ScoreBatch(d).reshape(-1));
    }

    /// <summary>The device of CLIP's weights (the cached text features and normalisation constants follow it).</summary>
    public Device Device => _textFeatures.device;

    /// <summary>
    /// Moves CLIP, the cached text features and the normalisation constants. A CLIP shared with other metrics
    /// (the constructor that takes a loaded model) moves for them too.
    /// </summary>
    public void MoveTo(Device device)
    {
        Model.to(device);
        _mean = Moved(_mean, device);
        _std = Moved(_std, device);
        _textFeatures = Moved(_textFeatures, device);
    }

    static Tensor Moved(Tensor t, Device device)
    {
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }

    /// <summary>Smallest H and W: CLIP's modified ResNet-50 reduces by 32 (stem stride 2, avg-pool 2, three stride-2 stages).</summary>
    public const int MinimumSize = 32;

    public string? SizeProblem(long height, long width) =>
        MetricSize.AtLeast(Name, height, width, MinimumSize, MinimumSize, "CLIP's ResNet-50 reduces by 32");

    void CheckImages(Tensor images, string name)
    {
        ArgumentNullException.ThrowIfNull(images, name);
        if (images.ndim != 4 || images.shape[1] != 3)
            throw new ArgumentException($"{name} must be (N,3,H,W) RGB in [0,1]; got [{string.Join(",", images.shape)}].", name);
        if (!images.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor in [0,1]; got {images.dtype}.", name);
        if (SizeProblem(images.shape[2], images.shape[3]) is { } problem) throw new ArgumentException(problem);
    }

    public void Dispose()
    {
        _textFeatures.Dispose();
        if (PromptLearner is not null) PromptLearner.Dispose();
        else PromptTokens.Dispose();
        _mean.Dispose();
        _std.Dispose();
        if (_ownsModel) Model.Dispose();
    }
}
