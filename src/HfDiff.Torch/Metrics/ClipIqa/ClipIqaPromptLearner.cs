// Port of pyiqa's PromptLearner (chaofengc/IQA-PyTorch pyiqa/archs/clipiqa_arch.py, commit
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8), which follows the official CLIP-IQA code (IceClear/CLIP-IQA).
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Metrics.ClipIqa.Text;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.ClipIqa;

/// <summary>
/// CLIP-IQA+'s learned prompts: per class i, <c>[SOT, ctx_i[:n/2], class tokens, ctx_i[n/2:], EOT, pad…]</c> as token
/// embeddings, run through CLIP's text tower, read at the EOT position of the tokenized init prompt.
/// </summary>
public sealed class ClipIqaPromptLearner : IDisposable
{
    /// <summary>
    /// Tokens of the class text between the two context halves.
    /// PORT-QUIRK(pyiqa, clipiqa_arch.py PromptLearner): hard-coded name_lens = [3, 3] ("good", "photo", ".."); the
    /// trailing "." of "photo.." is part of the '..' token, as in the official CLIP-IQA code.
    /// </summary>
    public const int ClassTokenCount = 3;

    /// <summary>The class texts after the n_ctx "X" placeholders.</summary>
    public static IReadOnlyList<string> ClassTexts { get; } = ["Good photo..", "Bad photo.."];

    /// <summary>pyiqa's init prompts: "X X … X " (n_ctx times) + class text.</summary>
    public static IReadOnlyList<string> InitPrompts(int contextTokens) =>
        ClassTexts.Select(c => string.Join(" ", Enumerable.Repeat("X", contextTokens)) + " " + c).ToList();

    /// <summary>clip.tokenize of <see cref="InitPrompts"/>, (2, context) int64; the EOT positions come from here.</summary>
    public Tensor TokenizedPrompts { get; }
    /// <summary>Assembled prompt token embeddings (2, context, width), before positional embedding.</summary>
    public Tensor PromptEmbeddings { get; }

    public ClipIqaPromptLearner(ClipModel model, ClipTokenizer tokenizer, Tensor learnedContext, int contextTokens = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(learnedContext);
        if (contextTokens < 2 || contextTokens % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(contextTokens), $"contextTokens must be an even number >= 2; got {contextTokens}.");
        int nCls = ClassTexts.Count, width = model.Options.TransformerWidth;
        bool shared = learnedContext.ndim == 2 && learnedContext.shape[0] == contextTokens && learnedContext.shape[1] == width;
        bool perClass = learnedContext.ndim == 3 && learnedContext.shape[0] == nCls && learnedContext.shape[1] == contextTokens && learnedContext.shape[2] == width;
        if (!shared && !perClass)
            throw new ArgumentException($"learnedContext must be ({nCls}, {contextTokens}, {width}) or ({contextTokens}, {width}); got [{string.Join(",", learnedContext.shape)}].", nameof(learnedContext));

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = tokenizer.Tokenize(InitPrompts(contextTokens), model.Options.ContextLength);
        var init = model.EmbedTokens(tokens);                                           // (2, L, D)
        var ctx = learnedContext.to_type(ScalarType.Float32);
        if (shared) ctx = ctx.unsqueeze(0).expand(nCls, -1, -1);
        int half = contextTokens / 2;
        var prompts = new List<Tensor>();
        for (int i = 0; i < nCls; i++)
        {
            var prefix = init[i..(i + 1), ..1];                                          // SOT
            var suffix = init[i..(i + 1), (1 + contextTokens)..];                        // class, EOT, padding
            prompts.Add(cat([
                prefix,
                ctx[i..(i + 1), ..half],
                suffix[.., ..ClassTokenCount],
                ctx[i..(i + 1), half..],
                suffix[.., ClassTokenCount..],
            ], 1));
        }
        PromptEmbeddings = cat(prompts, 0).contiguous().MoveToOuterDisposeScope();
        TokenizedPrompts = tokens.MoveToOuterDisposeScope();
    }

    /// <summary>Text features (2, embed_dim) of the learned prompts.</summary>
    public Tensor TextFeatures(ClipModel model)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return model.EncodeTextEmbeddings(PromptEmbeddings, TokenizedPrompts.argmax(-1)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        TokenizedPrompts.Dispose();
        PromptEmbeddings.Dispose();
    }
}
