// Port of openai/CLIP clip/model.py (CLIP constructor arguments, build_model's config inference),
// commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6; pyiqa copy: chaofengc/IQA-PyTorch pyiqa/archs/clip_model.py.
// Paper: Radford et al., "Learning Transferable Visual Models From Natural Language Supervision", ICML 2021.
using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// Constructor arguments of a ResNet CLIP (<c>clip.model.CLIP</c> with a <c>ModifiedResNet</c> image tower).
/// Defaults are the official RN50. Head counts are derived as <c>build_model</c> does.
/// </summary>
public sealed record ClipOptions
{
    public int EmbedDim { get; init; } = 1024;
    /// <summary>Training resolution; only sizes the attention-pool positional table ((res/32)²+1 rows).</summary>
    public int ImageResolution { get; init; } = 224;
    /// <summary>Bottleneck counts of layer1…layer4.</summary>
    public (int Layer1, int Layer2, int Layer3, int Layer4) VisionLayers { get; init; } = (3, 4, 6, 3);
    public int VisionWidth { get; init; } = 64;
    public int ContextLength { get; init; } = 77;
    public int VocabSize { get; init; } = 49408;
    public int TransformerWidth { get; init; } = 512;
    public int TransformerHeads { get; init; } = 8;
    public int TransformerLayers { get; init; } = 12;

    /// <summary>Attention-pool heads: <c>vision_width * 32 // 64</c> (CLIP's constructor).</summary>
    public int VisionHeads => VisionWidth * 32 / 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Positive(int v, string name) { if (v < 1) throw new ArgumentOutOfRangeException(name, $"{name} must be >= 1; got {v}."); }
        Positive(EmbedDim, nameof(EmbedDim));
        Positive(VisionLayers.Layer1, nameof(VisionLayers)); Positive(VisionLayers.Layer2, nameof(VisionLayers));
        Positive(VisionLayers.Layer3, nameof(VisionLayers)); Positive(VisionLayers.Layer4, nameof(VisionLayers));
        Positive(ContextLength, nameof(ContextLength));
        Positive(VocabSize, nameof(VocabSize));
        Positive(TransformerLayers, nameof(TransformerLayers));
        Positive(TransformerHeads, nameof(TransformerHeads));
        if (ImageResolution < 32 || ImageResolution % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(ImageResolution), $"ImageResolution must be a positive multiple of 32; got {ImageResolution}.");
        if (VisionWidth < 2 || VisionWidth % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(VisionWidth), $"VisionWidth must be an even number >= 2; got {VisionWidth}.");
        if (TransformerWidth < 1 || TransformerWidth % TransformerHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(TransformerWidth), $"TransformerWidth must be a positive multiple of TransformerHeads ({TransformerHeads}); got {TransformerWidth}.");
    }

    /// <summary>Infers the configuration from a state dict, as <c>build_model</c> does (ResNet variant only).</summary>
    public static ClipOptions FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict, string source = "state dict") =>
        FromShapes(stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.shape), source);

    /// <summary>Same as <see cref="FromStateDict"/> from key → shape only (e.g. a manifest).</summary>
    public static ClipOptions FromShapes(IReadOnlyDictionary<string, long[]> shapes, string source = "state dict")
    {
        if (shapes.ContainsKey("visual.proj"))
            throw new NotSupportedException($"{source} is a ViT CLIP (it has 'visual.proj'); only the ResNet CLIP models (RN50, RN101, RN50x4, …) are supported.");
        long[] Shape(string key) => shapes.TryGetValue(key, out var s) ? s
            : throw new CheckpointFormatException($"{source} is not a ResNet CLIP state dict: key '{key}' is missing.");
        int CountBlocks(string prefix) =>
            shapes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                       .Select(k => k.Split('.') is { Length: > 2 } parts ? parts[2] : "")
                       .Distinct(StringComparer.Ordinal).Count();

        var layers = (CountBlocks("visual.layer1"), CountBlocks("visual.layer2"), CountBlocks("visual.layer3"), CountBlocks("visual.layer4"));
        int visionWidth = (int)Shape("visual.layer1.0.conv1.weight")[0];
        long posRows = Shape("visual.attnpool.positional_embedding")[0];
        int outputWidth = (int)Math.Round(Math.Sqrt(posRows - 1));
        if ((long)outputWidth * outputWidth + 1 != posRows)
            throw new CheckpointFormatException($"{source}: 'visual.attnpool.positional_embedding' has {posRows} rows; expected a square grid + 1.");
        int width = (int)Shape("ln_final.weight")[0];
        var options = new ClipOptions
        {
            EmbedDim = (int)Shape("text_projection")[1],
            ImageResolution = outputWidth * 32,
            VisionLayers = layers,
            VisionWidth = visionWidth,
            ContextLength = (int)Shape("positional_embedding")[0],
            VocabSize = (int)Shape("token_embedding.weight")[0],
            TransformerWidth = width,
            // PORT-QUIRK(CLIP, model.py build_model): heads = width // 64 (not stored in the checkpoint).
            TransformerHeads = width / 64,
            TransformerLayers = CountBlocks("transformer.resblocks"),
        };
        options.Validate();
        return options;
    }
}
