// Port of openai/CLIP clip/model.py (CLIP: encode_image, encode_text, forward; convert_weights; build_model),
// commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6, with pyiqa's pos_embedding / text_features arguments
// (chaofengc/IQA-PyTorch pyiqa/archs/clip_model.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8).
// Paper: Radford et al., "Learning Transferable Visual Models From Natural Language Supervision", ICML 2021.
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>
/// ResNet CLIP. Submodule and parameter names equal the reference's, so official state dicts load unmapped.
/// Images go in normalised with CLIP's mean/std (the caller's job, see <c>ClipIqaMetric</c>); text goes in as
/// <c>clip.tokenize</c> ids (N, context) int64. Runs in float32, in eval mode.
/// </summary>
public sealed class ClipModel : nn.Module
{
#pragma warning disable IDE1006
    private readonly ClipModifiedResNet visual;
    private readonly ClipTransformer transformer;
    private readonly Embedding token_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_final;
    private readonly Parameter text_projection;
    private readonly Parameter logit_scale;
#pragma warning restore IDE1006

    /// <summary>Int64 scalars TorchScript CLIP archives carry besides the weights; <c>build_model</c> drops them.</summary>
    public static readonly IReadOnlyList<string> ArchiveOnlyKeys = ["input_resolution", "context_length", "vocab_size"];

    public ClipOptions Options { get; }

    public ClipModel(ClipOptions options) : base(nameof(ClipModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        visual = new ClipModifiedResNet(options.VisionLayers, options.EmbedDim, options.VisionHeads, options.ImageResolution, options.VisionWidth);
        transformer = new ClipTransformer(options.TransformerWidth, options.TransformerLayers, options.TransformerHeads);
        token_embedding = nn.Embedding(options.VocabSize, options.TransformerWidth);
        positional_embedding = new Parameter(empty(options.ContextLength, options.TransformerWidth).normal_(0, 0.01));
        ln_final = nn.LayerNorm([options.TransformerWidth], eps: 1e-5);
        text_projection = new Parameter(empty(options.TransformerWidth, options.EmbedDim).normal_(0, Math.Pow(options.TransformerWidth, -0.5)));
        logit_scale = new Parameter(tensor((float)Math.Log(1 / 0.07)));
        RegisterComponents();
        eval();
    }

    /// <summary><c>logit_scale.exp()</c> as a double (100 for the released models).</summary>
    public double LogitScale
    {
        get { using var _ = no_grad(); using var e = logit_scale.exp(); return e.item<float>(); }
    }

    /// <summary>(N, 3, H, W) normalised image → (N, embed_dim) unnormalised image features.</summary>
    public Tensor EncodeImage(Tensor image, bool posEmbedding = false)
    {
        CheckImage(image);
        using var scope = NewDisposeScope();
        return visual.forward(image.to_type(ScalarType.Float32), posEmbedding).MoveToOuterDisposeScope();
    }

    /// <summary>Token ids (N, context) int64 → (N, embed_dim) features at each row's highest id (EOT).</summary>
    public Tensor EncodeText(Tensor tokens)
    {
        if (tokens.ndim != 2 || tokens.shape[1] != Options.ContextLength)
            throw new ArgumentException($"tokens must be (N, {Options.ContextLength}); got [{string.Join(",", tokens.shape)}].", nameof(tokens));
        using var scope = NewDisposeScope();
        var ids = tokens.to_type(ScalarType.Int64);
        var emb = token_embedding.forward(ids);
        return EncodeTextEmbeddings(emb, ids.argmax(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Token embeddings (N, context) → (N, context, width), without positions (for prompt learning).</summary>
    public Tensor EmbedTokens(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        return token_embedding.forward(tokens.to_type(ScalarType.Int64)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The text tower from token embeddings: + positional embedding → causal transformer → ln_final → row
    /// <paramref name="eotIndex"/>[i] of sample i → @ text_projection. (N, context, width), (N) int64 → (N, embed_dim).
    /// </summary>
    public Tensor EncodeTextEmbeddings(Tensor embeddings, Tensor eotIndex)
    {
        if (embeddings.ndim != 3 || embeddings.shape[1] != Options.ContextLength || embeddings.shape[2] != Options.TransformerWidth)
            throw new ArgumentException($"embeddings must be (N, {Options.ContextLength}, {Options.TransformerWidth}); got [{string.Join(",", embeddings.shape)}].", nameof(embeddings));
        using var scope = NewDisposeScope();
        var x = embeddings.to_type(ScalarType.Float32) + positional_embedding;
        x = ln_final.forward(transformer.forward(x));
        var rows = arange(x.shape[0], dtype: ScalarType.Int64, device: x.device);
        var eot = x.index(TensorIndex.Tensor(rows), TensorIndex.Tensor(eotIndex.to(ScalarType.Int64, x.device)));
        return eot.matmul(text_projection).MoveToOuterDisposeScope();
    }

    /// <summary>CLIP's <c>logits_per_image</c>: logit_scale.exp() · cos(image_i, text_j), (N_img, N_txt).</summary>
    public Tensor LogitsPerImage(Tensor imageFeatures, Tensor textFeatures)
    {
        using var scope = NewDisposeScope();
        var img = imageFeatures / imageFeatures.norm(-1, keepdim: true);
        var txt = textFeatures / textFeatures.norm(-1, keepdim: true);
        return (logit_scale.exp() * img.matmul(txt.t())).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Names of the parameters <c>convert_weights</c> turns to fp16 (Conv/Linear weights and biases, the attention
    /// in-projections, <c>text_projection</c>).
    /// </summary>
    public IReadOnlyList<string> HalfPrecisionParameterNames()
    {
        var names = new List<string>();
        foreach (var (name, module) in named_modules())
        {
            string prefix = name.Length == 0 ? "" : name + ".";
            if (module is Conv2d or Linear or ClipMultiheadAttention)
                foreach (var (p, _) in module.named_parameters(recurse: false)) names.Add(prefix + p);
        }
        names.Add("text_projection");
        return names;
    }

    /// <summary>
    /// Copies a CLIP state dict in (strict). With <paramref name="emulateReferencePrecision"/> (default) the
    /// <see cref="HalfPrecisionParameterNames"/> are rounded to fp16 and everything is computed in fp32.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, string source = "state dict", bool emulateReferencePrecision = true)
    {
        var sd = stateDict.Where(kv => !ArchiveOnlyKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Checkpoint.LoadInto(this, sd, strict: true, source);
        if (!emulateReferencePrecision) return;
        // PORT-QUIRK(CLIP, model.py build_model/convert_weights): the reference loads into fp16 Conv/Linear/MHA/
        // text_projection parameters and then calls .float() on CPU, so these weights are fp16-rounded even when the
        // file stores fp32; the computation itself is fp32.
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var name in HalfPrecisionParameterNames())
        {
            var p = parameters[name];
            using var half = p.to_type(ScalarType.Float16);
            p.copy_(half);
        }
    }

    /// <summary>
    /// Builds a CLIP from a weights file: a plain <c>torch.save</c> state dict (.pt/.pth) or a TorchScript archive
    /// (openai's <c>RN50.pt</c>); the configuration is inferred from the weights as <c>build_model</c> does.
    /// </summary>
    public static ClipModel Load(string path, bool emulateReferencePrecision = true)
    {
        var sd = ClipWeights.ReadStateDict(path);
        try
        {
            var model = new ClipModel(ClipOptions.FromStateDict(sd, $"'{path}'"));
            try { model.LoadStateDict(sd, $"'{path}'", emulateReferencePrecision); }
            catch { model.Dispose(); throw; }
            return model;
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    void CheckImage(Tensor image)
    {
        if (image.ndim != 4 || image.shape[1] != 3)
            throw new ArgumentException($"image must be (N, 3, H, W); got [{string.Join(",", image.shape)}].", nameof(image));
        if (image.shape[2] < 32 || image.shape[3] < 32)
            throw new ArgumentException($"image must be at least 32x32 (the ResNet reduces by 32); got {image.shape[2]}x{image.shape[3]}.", nameof(image));
    }
}
