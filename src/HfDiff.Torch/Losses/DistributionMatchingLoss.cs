// HF-Diff distribution matching term: Jensen–Shannon divergence between GT and SR in DINOv2 embedding space.
// Paper: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024). DINOv2: github.com/facebookresearch/dinov2 (see Archs/Dinov2).
using HfDiff.Torch.Archs.Dinov2;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses;

/// <summary>
/// <c>Weight · mean_b JS(softmax(e_SR,b / T) ‖ softmax(e_GT,b / T))</c>, where <c>e</c> is a DINOv2 embedding of the
/// prepared image. Images <c>(B, 3, H, W)</c> in the range of <see cref="DistributionMatchingLossOptions.Preprocess"/>;
/// gradients flow to the SR image (and to the network unless its parameters are frozen, which the caller should do).
/// </summary>
/// <remarks>
/// The paper states only "Jensen–Shannon divergence between the DINOv2 embeddings of GT and SR"; how an embedding
/// becomes a probability distribution is not published. Choice made here, and why:
/// <list type="bullet">
/// <item>Embedding: the final-normed class token of <c>forward_features</c> by default — it is DINOv2's global image
/// representation (what <c>model(x)</c> returns and what kNN / linear evaluations use), so the term matches image-level
/// statistics rather than pixel alignment, complementing the pixel and INN losses. The patch-token mean is an option.</item>
/// <item>Distribution: softmax over the embedding dimension (temperature 1 by default), as DINO's own self-distillation
/// turns head outputs into categorical distributions. It makes every embedding a proper distribution without extra
/// parameters; JS is then symmetric and bounded (≤ ln 2), so the term cannot explode when SR and GT disagree strongly.</item>
/// <item>Reduction: JS per image, mean over the batch (natural log) — the PyTorch <c>batchmean</c> convention.</item>
/// </list>
/// The loss does not own the network: dispose it yourself.
/// </remarks>
public sealed class DistributionMatchingLoss
{
    readonly DinoVisionTransformer _dino;
    readonly Dinov2ImagePreprocessor _preprocessor;

    public DistributionMatchingLossOptions Options { get; }

    public DistributionMatchingLoss(DinoVisionTransformer dino, DistributionMatchingLossOptions? options = null)
    {
        _dino = dino ?? throw new ArgumentNullException(nameof(dino));
        Options = options ?? new DistributionMatchingLossOptions();
        Options.Validate();
        if (Options.Preprocess.PatchSize != dino.PatchSize)
            throw new ArgumentOutOfRangeException(nameof(options), Options.Preprocess.PatchSize, $"Preprocess.PatchSize must equal the network's patch size ({dino.PatchSize}).");
        _preprocessor = new Dinov2ImagePreprocessor(Options.Preprocess);
    }

    /// <summary>The embedding <c>(B, D)</c> of a prepared image batch (see <see cref="DistributionMatchingLossOptions.Embedding"/>).</summary>
    public Tensor Embed(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var x = _preprocessor.Prepare(images);
        // A bf16 network (reduced-precision training terms): the resize runs in the images' dtype, the network in its own,
        // and the embeddings come back in the images' dtype for the divergence.
        var type = _dino.ParameterType;
        using var features = _dino.ForwardFeatures(x.dtype == type ? x : x.to_type(type));
        var e = Options.Embedding == Dinov2EmbeddingKind.ClassToken ? features.XNormClsToken.alias() : features.XNormPatchTokens.mean([1]);
        return (e.dtype == images.dtype ? e : e.to_type(images.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>Scalar loss for SR and GT batches of the same shape.</summary>
    public Tensor Compute(Tensor sr, Tensor gt)
    {
        ArgumentNullException.ThrowIfNull(sr);
        ArgumentNullException.ThrowIfNull(gt);
        if (!sr.shape.SequenceEqual(gt.shape))
            throw new ArgumentException($"sr [{string.Join(", ", sr.shape)}] and gt [{string.Join(", ", gt.shape)}] must have the same shape.", nameof(gt));
        using var scope = torch.NewDisposeScope();
        var eSr = Embed(sr);
        Tensor eGt;
        if (Options.DetachTarget) { using (torch.no_grad()) eGt = Embed(gt); }
        else eGt = Embed(gt);
        var js = JsDivergence.BatchMean(eSr, eGt, Options.Temperature);
        return (Options.Weight == 1.0 ? js : js * Options.Weight).MoveToOuterDisposeScope();
    }
}
