// HF-Diff high-frequency perceptual loss: MSE between INN features of GT and SR.
// Paper: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024). Released code: this loss on VQ latents with weight 0.2 (no INN training code; see
// docs/PROVENANCE.md). Features: HfDiffInnFeatureExtractor, our residual stem + CDDFuse's DetailFeatureExtraction INN
// (see Archs/HfDiff).
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Losses.Perceptual;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses;

/// <summary>
/// <c>Weight · mean((F(SR) − F(GT))²)</c> with <c>F</c> the pretrained <see cref="HfDiffInnFeatureExtractor"/>. Inputs are
/// VQ latents or RGB images (<see cref="HighFrequencyPerceptualLossOptions.Domain"/>), <c>(B, InChannels, H, W)</c>, both the
/// same shape. Freeze the extractor (<c>requires_grad_(false)</c>, <c>eval()</c>) as in training; the loss does not own it.
/// </summary>
/// <remarks>
/// The domain selects the default weight (0.2 on latents per the released code) and the wording of errors; the
/// computation is the same. Mean over all feature elements, as <c>F.mse_loss</c>.
/// </remarks>
public sealed class HighFrequencyPerceptualLoss : IPerceptualLoss
{
    readonly HfDiffInnFeatureExtractor _extractor;

    public HighFrequencyPerceptualLossOptions Options { get; }

    public HighFrequencyPerceptualLoss(HfDiffInnFeatureExtractor extractor, HighFrequencyPerceptualLossOptions? options = null)
    {
        _extractor = extractor ?? throw new ArgumentNullException(nameof(extractor));
        Options = options ?? new HighFrequencyPerceptualLossOptions();
        Options.Validate();
    }

    /// <summary>Scalar loss.</summary>
    public Tensor Compute(Tensor sr, Tensor gt)
    {
        ArgumentNullException.ThrowIfNull(sr);
        ArgumentNullException.ThrowIfNull(gt);
        string what = Options.Domain == HighFrequencyLossDomain.VqLatent ? "latents" : "images";
        if (!sr.shape.SequenceEqual(gt.shape))
            throw new ArgumentException($"SR and GT {what} must have the same shape; got [{string.Join(", ", sr.shape)}] and [{string.Join(", ", gt.shape)}].", nameof(gt));
        if (sr.dim() != 4 || sr.shape[1] != _extractor.Options.InChannels)
            throw new ArgumentException($"SR/GT {what} must be (B, {_extractor.Options.InChannels}, H, W); got [{string.Join(", ", sr.shape)}].", nameof(sr));
        using var scope = torch.NewDisposeScope();
        var fSr = _extractor.forward(sr);
        Tensor fGt;
        if (Options.DetachTarget) { using (torch.no_grad()) fGt = _extractor.forward(gt); }
        else fGt = _extractor.forward(gt);
        var mse = nn.functional.mse_loss(fSr, fGt);
        return (mse * Options.EffectiveWeight).MoveToOuterDisposeScope();
    }
}
