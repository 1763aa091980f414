namespace HfDiff.Torch.Losses;

/// <summary>What <see cref="HighFrequencyPerceptualLoss"/> compares.</summary>
public enum HighFrequencyLossDomain
{
    /// <summary>VQ-f4 latents <c>(B, 3, H/4, W/4)</c> of SR and GT — what HF-Diff's released code does (weight 0.2).</summary>
    VqLatent,
    /// <summary>RGB images <c>(B, 3, H, W)</c> — the description in the paper's text.</summary>
    Rgb,
}
