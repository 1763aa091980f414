// Settings of pyiqa's CLIPIQA (chaofengc/IQA-PyTorch pyiqa/archs/clipiqa_arch.py, commit
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8). Paper: Wang, Chan, Loy, "Exploring CLIP for Assessing the Look and
// Feel of Images", AAAI 2023.
namespace HfDiff.Torch.Metrics.ClipIqa;

/// <summary>
/// CLIP-IQA settings. Defaults are pyiqa's <c>clipiqa</c> (RN50, its 5 prompt pairs, no positional embedding).
/// File paths left null are taken from the model directory under their official names (see <c>KnownAssets</c>).
/// </summary>
public sealed record ClipIqaOptions
{
    /// <summary>pyiqa's assembled antonym prompts, (good, bad) pairs in order.</summary>
    // PORT-QUIRK(pyiqa, clipiqa_arch.py): pyiqa averages 5 prompt pairs instead of the paper's single
    // "Good photo."/"Bad photo." pair ("we assemble multiple prompts to improve performance").
    public static IReadOnlyList<string> DefaultPrompts { get; } =
    [
        "Good image", "bad image", "Sharp image", "blurry image", "sharp edges", "blurry edges",
        "High resolution image", "low resolution image", "Noise-free image", "noisy image",
    ];

    public ClipIqaVariant Variant { get; init; } = ClipIqaVariant.ClipIqa;

    /// <summary>
    /// pyiqa's <c>pos_embedding</c>: false (its default for clipiqa and clipiqa+) uses no positional embedding in the
    /// attention pool; true resamples the table along the token axis to the image's token count.
    /// </summary>
    public bool PosEmbedding { get; init; }

    /// <summary>
    /// (good, bad) prompt pairs for <see cref="ClipIqaVariant.ClipIqa"/>; even count, at least 2. Printable ASCII
    /// (plus tab, CR, LF, form feed): CLIP's clean-up is reproduced exactly only there and other text is refused
    /// (see <see cref="Text.ClipTextCleaner"/>).
    /// </summary>
    public IReadOnlyList<string> Prompts { get; init; } = DefaultPrompts;

    /// <summary>CLIP-IQA+'s number of learned context tokens (<c>n_ctx</c>), even.</summary>
    public int ContextTokens { get; init; } = 16;

    /// <summary>Model directory (else <c>$HFDIFF_MODELS</c>, else <c>~/.hfdiff/models</c>).</summary>
    public string? ModelDirectory { get; init; }
    /// <summary>CLIP weights: openai TorchScript archive (<c>RN50.pt</c>) or a plain state dict.</summary>
    public string? ClipWeightsPath { get; init; }
    /// <summary>CLIP's BPE merges, <c>bpe_simple_vocab_16e6.txt.gz</c>.</summary>
    public string? BpeVocabPath { get; init; }
    /// <summary>CLIP-IQA+ learned context, a <c>torch.save</c>'d tensor (2, n_ctx, width) or (n_ctx, width).</summary>
    public string? LearnedPromptsPath { get; init; }

    public void Validate()
    {
        if (Variant == ClipIqaVariant.ClipIqa)
        {
            if (Prompts is null || Prompts.Count < 2 || Prompts.Count % 2 != 0)
                throw new ArgumentOutOfRangeException(nameof(Prompts), $"Prompts must hold (good, bad) pairs: an even count >= 2; got {Prompts?.Count ?? 0}.");
            if (Prompts.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException("Prompts must not contain empty texts.", nameof(Prompts));
        }
        if (ContextTokens < 2 || ContextTokens % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(ContextTokens), $"ContextTokens must be an even number >= 2; got {ContextTokens}.");
    }
}
