namespace HfDiff.Torch.Losses;

/// <summary>What <see cref="HighFrequencyPerceptualLoss"/> compares.</summary>
public enum HighFrequencyLossDomain
{
    /// <summary>VQ-f4 latents <c>(B, 3, H/4, W/4)</c> of SR and GT — what HF-Diff's released code does (weight 0.2).</summary>
    VqLatent,
    /// <summary>
    /// RGB images <c>(B, 3, H, W)</c> — as the paper's text describes the loss; this variant and its weight (1.0) are ours.
    /// </summary>
    Rgb,
}
