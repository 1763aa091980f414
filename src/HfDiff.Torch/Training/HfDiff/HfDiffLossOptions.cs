using HfDiff.Torch.Losses;
using HfDiff.Torch.Metrics.Lpips;

namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// HF-Diff's extra terms of the student trainer (YAML <c>hfdiff:</c> keys in brackets). Defaults: no term (SinSR);
/// with <see cref="HfDiffLossTerms.HighFrequency"/> the released choice, λ_HF = 0.2 on VQ latents.
/// </summary>
public sealed record HfDiffLossOptions
{
    /// <summary>[<c>losses</c>] which terms to add (a Table 4 row, see <see cref="HfDiffAblation"/>).</summary>
    public HfDiffLossTerms Terms { get; init; }

    /// <summary>[<c>hf_weight</c>] λ_HF; null = the domain default (0.2 on latents, the released value; 1.0 on images, ours).</summary>
    public double? HighFrequencyWeight { get; init; }
    /// <summary>
    /// [<c>hf_domain</c>: <c>latent</c> | <c>image</c>] <see cref="HighFrequencyLossDomain.VqLatent"/>: INN features of the
    /// student's z_0 prediction vs z_0 of the GT (released code); <see cref="HighFrequencyLossDomain.Rgb"/>: of the decoded
    /// SR (gradient-enabled VQ decode) vs the GT image (the paper's text).
    /// </summary>
    public HighFrequencyLossDomain HighFrequencyDomain { get; init; } = HighFrequencyLossDomain.VqLatent;
    /// <summary>[<c>inn_ckpt</c>] the INN extractor weights (<c>hfdiff pretrain-inn</c>'s <c>hfdiff_inn_extractor.safetensors</c>):
    /// a path, or a file name in the model directory.</summary>
    public string? InnCheckpoint { get; init; }

    /// <summary>[<c>dm_weight</c>] λ_DM (no published value; 1.0 is ours).</summary>
    public double DistributionMatchingWeight { get; init; } = 1.0;
    /// <summary>[<c>dinov2</c>] the DINOv2 torch-hub architecture (<c>dinov2_vits14</c>, <c>dinov2_vitb14</c>, …).</summary>
    public string Dinov2Model { get; init; } = "dinov2_vits14";
    /// <summary>[<c>dinov2_ckpt</c>] its weights; null = the official file of <see cref="Dinov2Model"/> in the model directory.</summary>
    public string? Dinov2Checkpoint { get; init; }
    /// <summary>[<c>dm_temperature</c>] softmax temperature of the distribution matching.</summary>
    public double DistributionMatchingTemperature { get; init; } = 1.0;

    /// <summary>[<c>vgg_weight</c>] weight of the VGG16 perceptual baseline (relu1_2 … relu4_3, L1; <c>vgg16-397923af.pth</c>).</summary>
    public double VggWeight { get; init; } = 1.0;
    /// <summary>[<c>lpips_weight</c>] weight of the LPIPS baseline.</summary>
    public double LpipsWeight { get; init; } = 1.0;
    /// <summary>[<c>lpips_net</c>: <c>vgg</c> | <c>alex</c>] trunk of the LPIPS baseline.</summary>
    public LpipsNet LpipsNet { get; init; } = LpipsNet.Vgg;

    /// <summary>
    /// [<c>image_chunk</c>] 0 (default): image-domain terms decode the whole microbatch with gradients at once. N &gt; 0:
    /// lower memory. The decode runs first without gradients, the terms and their gradient are taken with respect to the
    /// decoded images, and that gradient is carried back through the decoder N samples at a time. Then only N samples'
    /// decoder activations are alive at once, for one more decoder forward without gradients. The values are the same,
    /// and the gradients too, up to float rounding.
    /// </summary>
    public int ImageChunk { get; init; }

    /// <summary>[<c>term_precision</c>: <c>fp32</c> | <c>bf16</c>] arithmetic of the image terms' decode and DINOv2
    /// (<see cref="HfDiffTermPrecision"/>); the default float32 is what the parity tests check.</summary>
    public HfDiffTermPrecision TermPrecision { get; init; }

    /// <summary>λ_HF actually applied.</summary>
    public double EffectiveHighFrequencyWeight =>
        HighFrequencyWeight ?? new HighFrequencyPerceptualLossOptions { Domain = HighFrequencyDomain }.EffectiveWeight;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option, its value and what is allowed.</summary>
    public void Validate()
    {
        if ((int)Terms < 0 || (int)Terms > 15) throw new ArgumentOutOfRangeException(nameof(Terms), Terms, "Terms must be a combination of HighFrequency, DistributionMatching, VggPerceptual, Lpips.");
        if (!Enum.IsDefined(HighFrequencyDomain)) throw new ArgumentOutOfRangeException(nameof(HighFrequencyDomain), HighFrequencyDomain, "HighFrequencyDomain must be VqLatent or Rgb.");
        if (!Enum.IsDefined(TermPrecision)) throw new ArgumentOutOfRangeException(nameof(TermPrecision), TermPrecision, "TermPrecision must be Fp32 or Bf16.");
        if (!Enum.IsDefined(LpipsNet)) throw new ArgumentOutOfRangeException(nameof(LpipsNet), LpipsNet, "LpipsNet must be Alex or Vgg.");
        Weight(HighFrequencyWeight ?? 0, nameof(HighFrequencyWeight));
        Weight(DistributionMatchingWeight, nameof(DistributionMatchingWeight));
        Weight(VggWeight, nameof(VggWeight));
        Weight(LpipsWeight, nameof(LpipsWeight));
        if (ImageChunk < 0) throw new ArgumentOutOfRangeException(nameof(ImageChunk), ImageChunk, $"ImageChunk must be >= 0 (0 = the whole microbatch); got {ImageChunk}.");
        if (!(DistributionMatchingTemperature > 0 && double.IsFinite(DistributionMatchingTemperature)))
            throw new ArgumentOutOfRangeException(nameof(DistributionMatchingTemperature), DistributionMatchingTemperature, $"DistributionMatchingTemperature must be > 0; got {DistributionMatchingTemperature}.");
    }

    static void Weight(double w, string name)
    {
        if (!(w >= 0 && double.IsFinite(w))) throw new ArgumentOutOfRangeException(name, w, $"{name} must be finite and >= 0; got {w}.");
    }
}
